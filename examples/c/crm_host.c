/* A CRM host: loads customers, fits RFM and CLV, applies tier rules,
 * prints why a customer got its tier, and writes today's call list.
 *
 *   crm_host TRANSACTIONS.txt RULES.rules CALLS.csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "crm_host: %s: %s\n", what, msg);
    return 1;
}

static int to_file(const char *data, size_t len, void *user)
{
    return fwrite(data, 1, len, user) == len ? 0 : -1;
}

static int to_stdout(const char *data, size_t len, void *user)
{
    (void)user;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s TRANSACTIONS.txt RULES.rules CALLS.csv\n",
                argv[0]);
        return 2;
    }
    seg_dataset *ds = NULL;
    seg_model *rfm = NULL, *clv = NULL;
    seg_rules *rules = NULL;
    int rc = 1;

    /* 1. customers and their purchases (the CDNOW layout) */
    seg_csv_options csv;
    seg_csv_options_init(&csv);
    csv.has_header = 0;
    csv.id_column = "1";
    csv.time_column = "3";
    csv.amount_column = "5";
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    if (seg_dataset_new(&ds) || seg_dataset_load_csv(ds, argv[1], &csv) ||
        seg_dataset_compute_features(ds, &fo)) {
        rc = fail("data", seg_dataset_errmsg(ds));
        goto out;
    }

    /* 2. value models: RFM segments and lifetime value */
    if (seg_model_new(&rfm, "rfm") || seg_model_fit(rfm, ds) ||
        seg_model_score(rfm, ds)) {
        rc = fail("rfm", rfm ? seg_model_errmsg(rfm) : seg_errmsg());
        goto out;
    }
    if (seg_model_new(&clv, "clv") ||
        seg_model_set_f64(clv, "discount_rate", 0.01) ||
        seg_model_fit(clv, ds) || seg_model_score(clv, ds)) {
        rc = fail("clv", clv ? seg_model_errmsg(clv) : seg_errmsg());
        goto out;
    }

    /* 3. the business's tier rules */
    size_t len;
    char *text = read_all(argv[2], &len);
    if (!text) {
        rc = fail(argv[2], "cannot read");
        goto out;
    }
    int prc = seg_rules_parse(&rules, text, len, argv[2]);
    free(text);
    if (prc || seg_rules_apply(rules, ds, "action")) {
        rc = fail("rules", rules ? seg_rules_errmsg(rules) : seg_errmsg());
        goto out;
    }

    /* 4. why did the first customer get its tier? */
    if (seg_rules_explain(rules, ds, 0, SEG_FORMAT_TEXT, to_stdout, NULL)) {
        rc = fail("explain", seg_rules_errmsg(rules));
        goto out;
    }

    /* 5. today's calls: by tier priority, then by lifetime value */
    FILE *f = fopen(argv[3], "w");
    if (!f) {
        rc = fail(argv[3], "cannot write");
        goto out;
    }
    seg_call_list_options co;
    seg_call_list_options_init(&co);
    co.tier_column = "action";
    co.value_column = "clv.value";
    co.capacity = 25;
    int crc = seg_rules_call_list(rules, ds, &co, to_file, f);
    if (fclose(f) != 0 || crc) {
        rc = fail("call list", seg_rules_errmsg(rules));
        goto out;
    }
    printf("%zu customers tiered; call list in %s\n",
           seg_dataset_customer_count(ds), argv[3]);
    rc = 0;
out:
    seg_rules_free(rules);
    seg_model_free(clv);
    seg_model_free(rfm);
    seg_dataset_free(ds);
    return rc;
}
