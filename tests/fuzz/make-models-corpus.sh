#!/bin/sh
# Regenerate tests/fuzz/models_corpus/: real saved models of every built-in
# kind, with the presets and options that give their state other shapes.
# Usage: tests/fuzz/make-models-corpus.sh BUILD_DIR
set -eu
cd "$(dirname "$0")/../.."
seg="$1/examples/segment"
out=tests/fuzz/models_corpus
cdnow() {
    name=$1
    shift
    "$seg" score examples/data/cdnow_sample.txt --no-header --map id=2 \
        --map time=3 --map amount=5 --time-unit week "$@" \
        --save-model "$out/$name.model" -o /dev/null
}
for kind in rfm bgnbd mbgnbd pareto_nbd gamma_gamma clv engagement stage; do
    cdnow "$kind" --model "$kind"
done
cdnow kmeans --model kmeans --set features=recency,frequency,monetary_total
cdnow kmeans_log1p --model kmeans --set features=recency,frequency,monetary_total \
    --set log1p=all --set k=6 --set standardize=0
cdnow kmeans_init --model kmeans --set features=recency,monetary_total \
    --set k=2 --set 'init=-1,0;1,2'
cdnow rfm_cn8 --model rfm --set segments=cn8 --set center=median --set language=zh
cdnow rfm_value --model rfm --set segments=value --set k_r=3 --set k_f=2 \
    --set r_cuts=10,30 --set f_cuts=2
cdnow clv_pareto --model clv --set purchase_model=pareto_nbd \
    --set discounting=continuous
cdnow clv_mbgnbd --model clv --set purchase_model=mbgnbd \
    --set fixed_spend=p=6,q=4,gamma=15
cdnow bgnbd_fixed --model bgnbd --set fixed=r=0.25,alpha=4.4,a=0.8,b=2.4
cdnow engagement_zh --model engagement --set weights=email_click=2,cart=4 \
    --set language=zh --set as_of=1998-06-30
cdnow stage_zh --model stage --set mapping=view=awareness,cart=decision \
    --set language=zh --set window_days=30
"$seg" score tests/data/donations.csv --summary --model bgbb \
    --set weight_column=weights --save-model "$out/bgbb.model" -o /dev/null
