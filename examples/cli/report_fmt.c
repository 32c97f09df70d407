/* The report's words, numbers, colours, groups and tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

static const char *const words[W_COUNT_][2] = {
    [W_TITLE] = {"Customer segmentation report", "客户分层报告"},
    [W_DATA] = {"Data file", "数据文件"},
    [W_AS_OF] = {"Analysis date (as of)", "分析日期（截至）"},
    [W_CAL] = {"Calibration period", "校准期"},
    [W_HOLD] = {"Holdout period", "验证期"},
    [W_TZ] = {"Time zone", "时区"},
    [W_CUSTOMERS] = {"Customers", "客户数"},
    [W_TX] = {"Transactions", "交易数"},
    [W_EVENTS] = {"Events", "事件数"},
    [W_MODELS] = {"Models", "模型"},
    [W_RULES] = {"Rule sets", "规则集"},
    [W_NONE] = {"none", "无"},
    [W_UNIT] = {"Time unit", "时间单位"},
    [W_DAYS] = {"days", "天"},
    [W_WEEKS] = {"weeks", "周"},
    [W_PARAMS] = {"Settings", "设置"},
    [W_FIT] = {"Fit", "拟合结果"},
    [W_LOGLIK] = {"log-likelihood", "对数似然"},
    [W_CONVERGED] = {"converged", "已收敛"},
    [W_NOT_CONVERGED] = {"not converged", "未收敛"},
    [W_ITER] = {"iterations", "迭代次数"},
    [W_KIND] = {"Kind", "类型"},
    [W_NAME] = {"Name", "名称"},
    [W_TIERS] = {"Tiers", "分层"},
    [W_SHARE_CUST] = {"share of customers", "客户占比"},
    [W_SHARE_VALUE] = {"share of %s", "%s 占比"},
    [W_COUNT] = {"customers", "客户数"},
    [W_REVENUE] = {"revenue", "收入"},
    [W_MEAN] = {"mean", "均值"},
    [W_SHARE] = {"share", "占比"},
    [W_RFM] = {"RFM", "RFM 分析"},
    [W_RFM_SEG] = {"Segment distribution", "细分分布"},
    [W_HEAT_COUNT] = {"Customers by R and F score",
                      "按 R、F 得分的客户数"},
    [W_HEAT_MEAN] = {"Mean monetary value (%s) by R and F score",
                     "按 R、F 得分的平均消费金额（%s）"},
    [W_SCORE_R] = {"R score (%d = most recent)", "R 得分（%d = 最近）"},
    [W_SCORE_R_HIGH] = {"R score (%d = highest)", "R 得分（%d = 最高）"},
    [W_SCORE_F] = {"F score (%d = most frequent)", "F 得分（%d = 最频繁）"},
    [W_RECENCY] = {"recency", "最近一次消费距今"},
    [W_ORDERS] = {"orders", "订单数"},
    [W_MONETARY] = {"monetary value", "消费金额"},
    [W_HIST] = {"Distributions of R, F and M", "R、F、M 分布"},
    [W_TIES] = {"Empty columns: tied values put several cut points of %s at "
                "one value, so scores %s have no customers.",
                "空列：%s 的多个分位点因取值相同而重合，得分 %s 没有客户。"},
    [W_CLV] = {"Customer lifetime value", "客户终身价值"},
    [W_CLV_DIST] = {"Distribution of %s", "%s 的分布"},
    [W_PALIVE] = {"P(alive) by frequency and recency (T = %s %s)",
                  "按频次与最近购买时间的存活概率（T = %s %s）"},
    [W_EXPECTED] = {"Expected purchases in the next %s %s by frequency and "
                    "recency (T = %s %s)",
                    "未来 %s %s 的预期购买次数，按频次与最近购买时间（T = %s "
                    "%s）"},
    [W_FREQ_SHORT] = {"frequency", "频次"},
    [W_FREQ] = {"frequency (repeat purchases)", "频次（复购次数）"},
    [W_TX_AXIS] = {"recency t_x (time of the last purchase, %s)",
                   "最近购买时间 t_x（%s）"},
    [W_HOLDOUT] = {"Calibration against holdout", "校准期预测与验证期实际"},
    [W_PRED] = {"predicted", "预测"},
    [W_ACTUAL] = {"actual", "实际"},
    [W_MEAN_PURCH] = {"mean purchases in the holdout",
                      "验证期平均购买次数"},
    [W_CAL_FREQ] = {"repeat purchases in the calibration period",
                    "校准期复购次数"},
    [W_ENG] = {"Engagement levels", "活跃度分级"},
    [W_STAGE] = {"Purchase stages", "购买阶段"},
    [W_REACHED] = {"customers at this stage or later",
                   "处于此阶段或之后的客户数"},
    [W_KM] = {"Clusters", "聚类"},
    [W_KM_SIZES] = {"Cluster sizes", "各簇客户数"},
    [W_KM_PROFILE] = {"Profiles (centroids in the features' units)",
                      "簇画像（特征原始单位的中心）"},
    [W_CLUSTER] = {"cluster", "簇"},
    [W_CROSS] = {"%s by %s", "%s × %s"},
    [W_CROSS_SHARES] = {"Shares within each row", "行内占比"},
    [W_PERIOD_CAL] = {"Period: the calibration period, %s to %s (as of %s).",
                      "期间：校准期，%s 至 %s（截至 %s）。"},
    [W_PERIOD_ALL] = {"Period: %s to %s (as of %s).",
                      "期间：%s 至 %s（截至 %s）。"},
    [W_PERIOD_HOLD] = {"Period: fitted on the calibration period (%s to "
                       "%s), compared with the holdout period (%s to %s).",
                       "期间：在校准期（%s 至 %s）拟合，与验证期（%s 至 "
                       "%s）比较。"},
    [W_PERIOD_LATEST] = {"Period: every record up to the latest one in the "
                         "data (%s).",
                         "期间：数据中截至最后一条记录（%s）的全部记录。"},
    [W_HOLD_INCLUDED] = {" The holdout period is included: this section is "
                         "not limited to the calibration period.",
                         "包含验证期：本节不限于校准期。"},
    [W_PERIOD_LATEST_ASOF] = {"Period: every record up to the latest one in "
                              "the data, which may be after the analysis "
                              "date %s.",
                              "期间：数据中截至最后一条记录的全部记录，"
                              "可能晚于分析日期 %s。"},
    [W_PERIOD_MODEL] = {"Period: every record up to %s (the model's as_of).",
                        "期间：截至 %s 的全部记录（模型的 as_of）。"},
    [W_OVERFLOW] = {"The last bin also holds the values above %s (1%% of "
                    "customers at most).",
                    "最后一栏还包含大于 %s 的值（最多 1%% 的客户）。"},
    [W_ALIVE_ONE] = {"Every customer without a repeat purchase has P(alive) "
                     "= 100% under this model, however long ago they "
                     "bought: rank by clv.value, or choose purchase_model="
                     "mbgnbd or pareto_nbd where P(alive) itself matters "
                     "(docs/clv.md).",
                     "在此模型下，没有复购的客户 P(alive) 都是 100%，"
                     "无论其购买距今多久：请按 clv.value 排序；若需要 "
                     "P(alive) 本身，请选用 purchase_model=mbgnbd 或 "
                     "pareto_nbd（见 docs/clv.md）。"},
    [W_NO_TIER] = {"(none)", "（无）"},
    [W_GENERATED] = {"Written by libsegment %s.", "由 libsegment %s 生成。"},
    [W_TOTAL] = {"total", "合计"},
    [W_MAE] = {"mean absolute error", "平均绝对误差"},
    [W_VALUE] = {"value", "价值"},
    [W_NO_DATA] = {"No customer has a value here.", "没有客户有此数值。"},
    [W_BAD_FIT] = {"not identified", "不可识别"},
    [W_MIGRATION] = {"Migration", "层级迁移"},
    [W_MIG_FROM] = {"Tier on %s", "%s 的层级"},
    [W_MIG_TO] = {"Tier on %s", "%s 的层级"},
    [W_MIG_SHARE] = {"Share of the earlier tier's customers",
                     "占原层级客户的比例"},
    [W_MIG_NOTE] = {"Each row is a tier on the earlier date, each column "
                    "a tier on the later one; a cell is the share of the "
                    "row's customers who moved there. (none): no tier, "
                    "such as customers without a record yet. Revenue: "
                    "their net amount between the two dates.",
                    "每行是前一日期的层级，每列是后一日期的层级；格中是该行客户"
                    "移到该列的比例。（无）：没有层级，例如当时还没有记录的客户。"
                    "收入：两个日期之间的净金额。"},
    [W_TRACKING] = {"Repeat transactions by week: actual against the model",
                    "每周复购次数：实际与模型"},
    [W_TRACK_AXIS] = {"week starting", "周起始日"},
    [W_TRACK_VALUE] = {"repeat transactions in the week", "当周复购次数"},
    [W_MODEL] = {"model", "模型"},
    [W_PERIOD_TX] = {"Customers by repeat purchases in the calibration "
                     "period: actual against the model",
                     "按校准期复购次数的客户数：实际与模型"},
    [W_PT_AXIS] = {"repeat purchases", "复购次数"},
    [W_PT_VALUE] = {"customers", "客户数"},
    [W_EXPECTED_SHORT] = {"expected", "模型预期"},
    [W_HOLD_LINE] = {"The dashed line is the start of the holdout.",
                     "虚线为验证期的开始。"},
};

const char *rep_w(const rep *r, rep_word w)
{
    return words[w][r->zh ? 1 : 0];
}

void rep_esc(cli_out *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': cli_puts(f, "&lt;"); break;
        case '>': cli_puts(f, "&gt;"); break;
        case '&': cli_puts(f, "&amp;"); break;
        case '"': cli_puts(f, "&quot;"); break;
        default: cli_putc(f, *s);
        }
    }
}

/* v with d decimals and a comma between groups of three digits. */
const char *rep_fixed(char *buf, size_t n, double v, int d)
{
    char raw[400];
    snprintf(raw, sizeof raw, "%.*f", d, fabs(v));
    const char *dot = strchr(raw, '.');
    size_t ilen = dot ? (size_t)(dot - raw) : strlen(raw), o = 0;
    bool zero = strspn(raw, "0.") == strlen(raw);
    if (v < 0 && !zero && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < ilen && o + 2 < n; i++) {
        if (i > 0 && (ilen - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    for (const char *p = dot; p && *p && o + 1 < n; p++)
        buf[o++] = *p;
    buf[o < n ? o : n - 1] = '\0';
    return buf;
}

const char *rep_num(char *buf, size_t n, double v, int fmt)
{
    if (isnan(v)) {
        snprintf(buf, n, "–");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "∞" : "-∞");
        return buf;
    }
    switch (fmt) {
    case FMT_COUNT: return rep_fixed(buf, n, v, 0);
    case FMT_AMOUNT:
    case FMT_FIXED2: return rep_fixed(buf, n, v, 2);
    case FMT_PCT: {
        char t[64];
        double p = 100 * v;
        rep_fixed(t, sizeof t, p, p != 0 && fabs(p) < 0.1 ? 2 : 1);
        snprintf(buf, n, "%s%%", t);
        return buf;
    }
    default: break;
    }
    if (v == floor(v))
        return rep_fixed(buf, n, v, 0);
    double a = fabs(v);
    int d = a >= 1000 ? 1 : 3 - (int)floor(log10(a));
    rep_fixed(buf, n, v, d < 1 ? 1 : d > 12 ? 12 : d);
    /* 0.01, not 0.01000: the digits shown are the ones that mean something */
    char *end = buf + strlen(buf);
    while (end > buf && end[-1] == '0')
        *--end = '\0';
    if (end > buf && end[-1] == '.')
        *--end = '\0';
    return buf;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

int rep_column_format(const char *name)
{
    if (!strcmp(name, "count") || !strcmp(name, "customers") ||
        !strcmp(name, "size"))
        return FMT_COUNT;
    if (!strcmp(name, "share") || ends_with(name, "_share"))
        return FMT_PCT;
    /* a campaign's p-values and degrees of freedom, not money */
    if (ends_with(name, "_p") || ends_with(name, "_df"))
        return FMT_AUTO;
    if (strstr(name, "monetary") || strstr(name, "value") ||
        strstr(name, "spend") || strstr(name, "amount") ||
        strstr(name, "revenue"))
        return FMT_AMOUNT;
    return FMT_AUTO;
}

/* Colours that stay apart from each other for the common kinds of colour
 * blindness (Okabe-Ito, then darker and lighter companions). */
static const char *const palette[] = {
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
    "#8c6d1f", "#6a3d9a", "#b2182b", "#1b7837", "#5e5e5e", "#c7a600"};
enum { N_PALETTE = sizeof palette / sizeof *palette };

const char *rep_colour(const char *name, int rank)
{
    if (rank >= 0)
        return palette[rank % N_PALETTE];
    /* FNV-1a of the name, so that a tier keeps its colour across runs */
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; p && *p; p++)
        h = (h ^ *p) * 16777619u;
    return palette[h % N_PALETTE];
}

/* A summary's COLUMN_total, COLUMN_mean, COLUMN_share in Chinese: the
 * column's name, then the word; English keeps the names of the CSV. */
static void write_header(const rep *r, const char *name);

static const char *header_word(const rep *r, const char *name)
{
    static const struct { const char *en; rep_word w; } map[] = {
        {"count", W_COUNT}, {"customers", W_COUNT}, {"size", W_COUNT},
        {"share", W_SHARE}, {"predicted", W_PRED}, {"actual", W_ACTUAL},
        {"expected", W_EXPECTED_SHORT},
        {"cluster", W_CLUSTER}, {"total", W_TOTAL},
        {"frequency", W_FREQ_SHORT}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(name, map[i].en))
            return rep_w(r, map[i].w);
    return name;
}

static void write_header(const rep *r, const char *name)
{
    static const struct { const char *suffix; rep_word w; } parts[] = {
        {"_total", W_TOTAL}, {"_mean", W_MEAN}, {"_share", W_SHARE}};
    const char *word = header_word(r, name);
    for (size_t i = 0; r->zh && word == name && i < 3; i++) {
        size_t n = strlen(name), k = strlen(parts[i].suffix);
        if (n > k && !strcmp(name + n - k, parts[i].suffix)) {
            char *column = malloc(n - k + 1);
            if (!column)
                break;
            memcpy(column, name, n - k);
            column[n - k] = '\0';
            rep_esc(r->f, column);
            cli_putc(r->f, ' ');
            rep_esc(r->f, rep_w(r, parts[i].w));
            free(column);
            return;
        }
    }
    rep_esc(r->f, word);
}

static void table_row(const rep *r, const seg_table *t, size_t row,
                      const rep_layout *lay)
{
    size_t nc = seg_table_column_count(t);
    bool share_of_row = lay && lay->share_of_row;
    double whole = seg_table_f64(t, row, nc - 1);
    char buf[128];
    cli_puts(r->f, "<tr>");
    size_t n = lay && lay->cols ? lay->n_cols : nc;
    for (size_t i = 0; i < n; i++) {
        size_t c = lay && lay->cols ? lay->cols[i] : i;
        const char *name = seg_table_column_name(t, c);
        if (seg_table_column_type(t, c) != SEG_COLUMN_NUMERIC) {
            const char *s = seg_table_text(t, row, c);
            cli_puts(r->f, c == 0 ? "<th>" : "<td class=text>");
            rep_esc(r->f, !s                    ? rep_w(r, W_NO_TIER)
                          : !strcmp(s, "total") ? rep_w(r, W_TOTAL)
                          : !strcmp(s, "mae")   ? rep_w(r, W_MAE)
                                                : s);
            cli_puts(r->f, c == 0 ? "</th>" : "</td>");
            continue;
        }
        double v = seg_table_f64(t, row, c);
        int fmt = rep_column_format(name);
        if (share_of_row && c + 1 < nc) {
            v = whole > 0 ? v / whole : NAN;
            fmt = FMT_PCT;
        } else if (share_of_row) {
            fmt = FMT_COUNT;
        }
        cli_printf(r->f, "<td>%s</td>", rep_num(buf, sizeof buf, v, fmt));
    }
    cli_puts(r->f, "</tr>\n");
}

void rep_table(const rep *r, const seg_table *t, const rep_layout *lay)
{
    size_t nc = seg_table_column_count(t), nr = seg_table_row_count(t);
    cli_puts(r->f, "<div class=scroll><table>\n<tr class=head>");
    size_t n = lay && lay->cols ? lay->n_cols : nc;
    for (size_t i = 0; i < n; i++) {
        size_t c = lay && lay->cols ? lay->cols[i] : i;
        cli_puts(r->f, "<th>");
        write_header(r, seg_table_column_name(t, c));
        cli_puts(r->f, "</th>");
    }
    cli_puts(r->f, "</tr>\n");
    n = lay && lay->rows ? lay->n_rows : nr;
    for (size_t i = 0; i < n; i++)
        table_row(r, t, lay && lay->rows ? lay->rows[i] : i, lay);
    cli_puts(r->f, "</table></div>\n");
}

static int by_key(const void *a, const void *b)
{
    const rep_group *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return strcmp(x->label, y->label);
}

/* The key and colour of each group from a numeric companion column: the
 * rule a tier came from (COLUMN.rule), a stage's index (PREFIX.index). */
static void rank_by(const rep *r, const char *column, const size_t *gi,
                    rep_groups *out)
{
    char name[300];
    const char *dot = strrchr(column, '.');
    snprintf(name, sizeof name, "%s.rule", column);
    if (seg_dataset_column_type(r->ds, name) <= 0 && dot)
        snprintf(name, sizeof name, "%.*s.index", (int)(dot - column), column);
    size_t n = seg_dataset_customer_count(r->ds);
    double *k = calloc(n + 1, sizeof *k);
    if (!k || seg_dataset_column_type(r->ds, name) <= 0 ||
        seg_dataset_copy_f64(r->ds, name, k, n) != SEG_OK) {
        free(k);
        return;
    }
    for (size_t j = 0; j < out->n; j++)
        out->g[j].key = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (!isnan(k[i]))
            out->g[gi[i]].key = fmin(out->g[gi[i]].key, k[i]);
    /* rules count from 1, stage indexes from 0: the first gets colour 0 */
    int first = strstr(name, ".rule") ? 1 : 0;
    for (size_t j = 0; j < out->n; j++)
        out->g[j].rank =
            isfinite(out->g[j].key) ? (int)out->g[j].key - first : -1;
    free(k);
}

/* The group of a label: labels come interned, so a pointer compare finds
 * nearly every one; text compares only for a label not seen yet. */
static size_t group_of(rep_groups *out, const char *label, size_t last)
{
    if (last < out->n && out->g[last].label == label)
        return last;
    for (size_t j = 0; j < out->n; j++)
        if (out->g[j].label == label)
            return j;
    for (size_t j = 0; j < out->n; j++)
        if (!strcmp(out->g[j].label, label))
            return j;
    out->g[out->n] = (rep_group){label, 0, 0, 0, -1};
    return out->n++;
}

int rep_groups_of(const rep *r, const char *column, const char *value,
                  rep_groups *out)
{
    memset(out, 0, sizeof *out);
    size_t n = seg_dataset_customer_count(r->ds);
    const char **lab = calloc(n + 1, sizeof *lab);
    double *v = calloc(n + 1, sizeof *v);
    size_t *gi = calloc(n + 1, sizeof *gi);
    rep_group *g = calloc(n + 1, sizeof *g);
    if (!lab || !v || !gi || !g ||
        seg_dataset_copy_labels(r->ds, column, lab, n) ||
        (value && seg_dataset_copy_f64(r->ds, value, v, n))) {
        free(lab);
        free(v);
        free(gi);
        free(g);
        return -1;
    }
    out->g = g;
    out->labels = lab;
    for (size_t i = 0, j = 0; i < n; i++) {
        j = group_of(out, lab[i] ? lab[i] : rep_w(r, W_NO_TIER), j);
        gi[i] = j;
        double x = value && isfinite(v[i]) ? v[i] : 0;
        g[j].count++;
        g[j].value += x;
        out->total_count++;
        out->total_value += x;
    }
    /* without a rank, the larger groups first */
    for (size_t j = 0; j < out->n; j++)
        g[j].key = -g[j].count;
    rank_by(r, column, gi, out);
    qsort(g, out->n, sizeof *g, by_key);
    free(v);
    free(gi);
    return 0;
}

void rep_groups_sort(rep_groups *g)
{
    qsort(g->g, g->n, sizeof *g->g, by_key);
}

void rep_groups_free(rep_groups *g)
{
    free(g->g);
    free(g->labels);
    memset(g, 0, sizeof *g);
}

/* The rows (by their first cell) or the columns (by name) of t in the
 * order of g, then the others as they were. */
static size_t *order_of(const seg_table *t, const rep_groups *g, size_t *n,
                        bool columns)
{
    size_t nr = columns ? seg_table_column_count(t) : seg_table_row_count(t);
    size_t k = 0;
    size_t *o = calloc(nr + 1, sizeof *o);
    bool *used = calloc(nr + 1, sizeof *used);
    if (!o || !used) {
        free(o);
        free(used);
        return NULL;
    }
    if (columns && nr) {
        used[0] = true;
        o[k++] = 0;
    }
    for (size_t j = 0; j < g->n; j++)
        for (size_t row = 0; row < nr; row++) {
            const char *s = columns ? seg_table_column_name(t, row)
                                    : seg_table_text(t, row, 0);
            if (!used[row] && s && !strcmp(s, g->g[j].label)) {
                used[row] = true;
                o[k++] = row;
                break;
            }
        }
    for (size_t row = 0; row < nr; row++)
        if (!used[row])
            o[k++] = row;
    free(used);
    *n = k;
    return o;
}

size_t *rep_order_rows(const seg_table *t, const rep_groups *g, size_t *n)
{
    return order_of(t, g, n, false);
}

size_t *rep_order_cols(const seg_table *t, const rep_groups *g, size_t *n)
{
    return order_of(t, g, n, true);
}
