/* Tables: the readers, CSV/JSON/text writing, atomic files, a writer that
 * stops; the tier summary and the crosstab as tables, with labels and
 * names that need every kind of quoting and escaping. Setting the
 * environment variable SEG_TABLE_OUT to a directory also writes the JSON
 * there, with what each file must hold, for tests/test-tables.py. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segment.h>

#include "testutil.h"

#define N_LABELS 12
#define N_CUST 130 /* customer i has label i % 13; 12 is none */

static const char LABEL_COL[] = "tier \"A\",\nB\tC\x01 é";
static const char CHANNEL_COL[] = "ch,\"an\r\nnel";
static const char SPEND_COL[] = "spend,\"x\"";

static char *labels[N_LABELS];
static const char *channels[3];

/* 100 kB of text that needs quoting and escaping, whole UTF-8 sequences */
static char *big_label(void)
{
    static const char unit[] = "ab,\"c\n\r\t\x01\x1f\x7f é中🙂 \\/";
    size_t u = sizeof unit - 1, n = 100000 / u + 1;
    char *s = malloc(n * u + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[n * u] = '\0';
    return s;
}

static int setup(void **state)
{
    (void)state;
    static const char *const fixed[N_LABELS - 1] = {
        "gold", "say \"hi\", ok", "line\nbreak", "cr\rret", "crlf\r\nx",
        "tab\there", "ctl\x01\x02\x1f\x7f", "é中文🙂", " padded ",
        "back\\slash/", ""};
    for (int i = 0; i < N_LABELS - 1; i++)
        labels[i] = strdup(fixed[i]);
    labels[N_LABELS - 1] = big_label();
    channels[0] = "web";
    channels[1] = "shop \"x\"";
    channels[2] = labels[N_LABELS - 1];
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_LABELS; i++)
        free(labels[i]);
    return 0;
}

static double spend_of(int i) { return i % 7 == 3 ? NAN : i * 0.5; }

/* customer i: label i % 13 (12: none), channel i % 4 (3: none) */
static seg_dataset *dataset(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    char id[32];
    for (int i = 0; i < N_CUST; i++) {
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_set_attribute_f64(ds, id, SPEND_COL,
                                                spend_of(i)));
        if (i % 13 < N_LABELS)
            assert_ok(seg_dataset_set_attribute_str(ds, id, LABEL_COL,
                                                    labels[i % 13]));
        if (i % 4 < 3)
            assert_ok(seg_dataset_set_attribute_str(ds, id, CHANNEL_COL,
                                                    channels[i % 4]));
    }
    return ds;
}

/* ---- a small RFC 4180 reader ---- */

typedef struct csv {
    size_t n_rows;
    size_t *n_fields;
    char ***fields;
} csv;

static void csv_push(char ***row, size_t *n, const char *s, size_t len)
{
    *row = realloc(*row, (*n + 1) * sizeof **row);
    assert_non_null(*row);
    (*row)[*n] = malloc(len + 1);
    assert_non_null((*row)[*n]);
    memcpy((*row)[*n], s, len);
    (*row)[*n][len] = '\0';
    (*n)++;
}

static csv csv_parse(const char *s)
{
    csv c = {0, NULL, NULL};
    size_t cap = 0, flen = 0;
    char *field = malloc(strlen(s) + 1);
    assert_non_null(field);
    char **row = NULL;
    size_t nf = 0;
    while (*s) {
        flen = 0;
        if (*s == '"') {
            for (s++;; s++) {
                assert_true(*s != '\0'); /* an unterminated quote */
                if (*s == '"') {
                    if (s[1] != '"')
                        break;
                    s++;
                }
                field[flen++] = *s;
            }
            s++;
            assert_true(*s == ',' || *s == '\n' || *s == '\r' || !*s);
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r') {
                assert_true(*s != '"'); /* a quote inside an unquoted field */
                field[flen++] = *s++;
            }
        }
        csv_push(&row, &nf, field, flen);
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r')
            s++;
        if (*s == '\n')
            s++;
        if (c.n_rows == cap) {
            cap = cap ? cap * 2 : 16;
            c.fields = realloc(c.fields, cap * sizeof *c.fields);
            c.n_fields = realloc(c.n_fields, cap * sizeof *c.n_fields);
            assert_true(c.fields && c.n_fields);
        }
        c.fields[c.n_rows] = row;
        c.n_fields[c.n_rows++] = nf;
        row = NULL;
        nf = 0;
    }
    free(field);
    return c;
}

static void csv_free(csv *c)
{
    for (size_t r = 0; r < c->n_rows; r++) {
        for (size_t f = 0; f < c->n_fields[r]; f++)
            free(c->fields[r][f]);
        free(c->fields[r]);
    }
    free(c->fields);
    free(c->n_fields);
}

/* The CSV of t, read back, holds every name and cell of t. */
static void check_csv(const seg_table *t, const char *text)
{
    csv c = csv_parse(text);
    size_t nr = seg_table_row_count(t), nc = seg_table_column_count(t);
    assert_int_equal(c.n_rows, nr + 1);
    for (size_t r = 0; r <= nr; r++) {
        assert_int_equal(c.n_fields[r], nc);
        for (size_t col = 0; col < nc; col++) {
            const char *f = c.fields[r][col];
            if (r == 0) {
                assert_string_equal(f, seg_table_column_name(t, col));
            } else if (seg_table_column_type(t, col) == SEG_COLUMN_LABEL) {
                const char *want = seg_table_text(t, r - 1, col);
                assert_string_equal(f, want ? want : "");
            } else {
                double v = seg_table_f64(t, r - 1, col);
                if (isnan(v)) {
                    assert_string_equal(f, "");
                } else {
                    char *end;
                    double got = strtod(f, &end);
                    assert_true(*f && *end == '\0');
                    assert_true(got == v);
                }
            }
        }
    }
    csv_free(&c);
}

static char *write_string(const seg_table *t, int format)
{
    char *s = NULL;
    assert_ok(seg_table_write(t, format, collect, &s));
    assert_non_null(s);
    return s;
}

/* ---- JSON for test-tables.py ---- */

static void put_hex(FILE *f, const char *s)
{
    fputs("t:", f);
    for (; *s; s++)
        fprintf(f, "%02x", (unsigned char)*s);
}

/* What a table holds, in a form that needs no escaping: a line per row of
 * cells "-" (missing), "n:%.17g" or "t:HEX"; first the header. */
static void write_expect(const char *dir, const char *name, const seg_table *t,
                         const char *const *args, size_t n_args)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.expect", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "args");
    for (size_t i = 0; i < n_args; i++) {
        fputc(' ', f);
        put_hex(f, args[i]);
    }
    fputc('\n', f);
    size_t nr = seg_table_row_count(t), nc = seg_table_column_count(t);
    for (size_t c = 0; c < nc; c++) {
        if (c)
            fputc(' ', f);
        put_hex(f, seg_table_column_name(t, c));
    }
    fputc('\n', f);
    for (size_t r = 0; r < nr; r++) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                fputc(' ', f);
            if (seg_table_column_type(t, c) == SEG_COLUMN_LABEL) {
                const char *s = seg_table_text(t, r, c);
                if (s)
                    put_hex(f, s);
                else
                    fputc('-', f);
            } else {
                double v = seg_table_f64(t, r, c);
                if (isnan(v))
                    fputc('-', f);
                else
                    fprintf(f, "n:%.17g", v);
            }
        }
        fputc('\n', f);
    }
    assert_int_equal(fclose(f), 0);
}

static void write_json(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Escaped JSON has no raw control bytes: only the newlines that end the
 * lines of the layout (rows + 2 of them, or one for an object). */
static void check_json_bytes(const char *s, size_t newlines)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        assert_true(*p >= 0x20 || *p == '\n');
        n += *p == '\n';
    }
    assert_int_equal(n, newlines);
}

/* ---- tests ---- */

static void test_summary_table(void **state)
{
    (void)state;
    seg_dataset *ds = dataset();
    const char *vals[] = {SPEND_COL};
    seg_table *t = NULL;
    assert_ok(seg_dataset_summary_table(&t, ds, LABEL_COL, vals, 1));
    assert_string_equal(seg_table_name(t), "summary");
    assert_int_equal(seg_table_column_count(t), 6);
    assert_int_equal(seg_table_row_count(t), N_LABELS + 1);
    const char *names[] = {LABEL_COL, "count", "share", "spend,\"x\"_total",
                           "spend,\"x\"_mean", "spend,\"x\"_share"};
    for (size_t c = 0; c < 6; c++) {
        assert_string_equal(seg_table_column_name(t, c), names[c]);
        assert_int_equal(seg_table_column_type(t, c),
                         c ? SEG_COLUMN_NUMERIC : SEG_COLUMN_LABEL);
        size_t at = 99;
        assert_ok(seg_table_column_find(t, names[c], &at));
        assert_int_equal(at, c);
    }
    double all = 0;
    for (int i = 0; i < N_CUST; i++)
        if (!isnan(spend_of(i)))
            all += spend_of(i);
    for (size_t r = 0; r <= N_LABELS; r++) {
        if (r < N_LABELS)
            assert_string_equal(seg_table_text(t, r, 0), labels[r]);
        else
            assert_null(seg_table_text(t, r, 0)); /* no label: last */
        assert_true(isnan(seg_table_f64(t, r, 0)));
        assert_null(seg_table_text(t, r, 1));
        assert_true(seg_table_f64(t, r, 1) == 10);
        assert_near(seg_table_f64(t, r, 2), 10.0 / N_CUST, 1e-15);
        double tot = 0;
        int n = 0;
        for (int i = (int)r; i < N_CUST; i += 13)
            if (!isnan(spend_of(i)))
                tot += spend_of(i), n++;
        assert_near(seg_table_f64(t, r, 3), tot, 1e-9);
        assert_near(seg_table_f64(t, r, 4), tot / 10, 1e-9);
        assert_near(seg_table_f64(t, r, 5), tot / all, 1e-12);
    }
    /* out of range */
    assert_true(isnan(seg_table_f64(t, N_LABELS + 1, 1)));
    assert_true(isnan(seg_table_f64(t, 0, 6)));
    assert_null(seg_table_text(t, N_LABELS + 1, 0));
    assert_null(seg_table_text(t, 0, 6));
    assert_null(seg_table_column_name(t, 6));
    assert_int_equal(seg_table_column_type(t, 6), SEG_EINVAL);
    size_t at;
    assert_int_equal(seg_table_column_find(t, "nope", &at), SEG_ENOTFOUND);
    assert_int_equal(seg_table_column_find(t, NULL, &at), SEG_EINVAL);
    assert_int_equal(seg_table_column_find(t, "count", NULL), SEG_EINVAL);
    seg_table_free(t);

    /* errors leave *out NULL */
    t = (seg_table *)&at;
    assert_int_equal(seg_dataset_summary_table(&t, ds, "nope", NULL, 0),
                     SEG_ENOTFOUND);
    assert_null(t);
    assert_int_equal(seg_dataset_summary_table(&t, ds, SPEND_COL, NULL, 0),
                     SEG_ETYPE);
    const char *bad[] = {LABEL_COL};
    assert_int_equal(seg_dataset_summary_table(&t, ds, LABEL_COL, bad, 1),
                     SEG_ETYPE);
    assert_int_equal(seg_dataset_summary_table(NULL, ds, LABEL_COL, NULL, 0),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_summary_table(&t, NULL, LABEL_COL, NULL, 0),
                     SEG_EINVAL);
    seg_dataset_free(ds);
}

static void test_summary_csv_json(void **state)
{
    (void)state;
    seg_dataset *ds = dataset();
    const char *vals[] = {SPEND_COL};
    seg_table *t;
    assert_ok(seg_dataset_summary_table(&t, ds, LABEL_COL, vals, 1));
    char *csv_t = write_string(t, SEG_FORMAT_CSV);
    check_csv(t, csv_t);
    /* seg_dataset_summary() writes the same CSV */
    char *csv_s = NULL;
    assert_ok(seg_dataset_summary(ds, LABEL_COL, vals, 1, SEG_FORMAT_CSV,
                                  collect, &csv_s));
    assert_string_equal(csv_s, csv_t);
    assert_true(strlen(csv_t) > 100000);

    char *json_t = write_string(t, SEG_FORMAT_JSON);
    char *json_s = NULL;
    assert_ok(seg_dataset_summary(ds, LABEL_COL, vals, 1, SEG_FORMAT_JSON,
                                  collect, &json_s));
    check_json_bytes(json_t, seg_table_row_count(t) + 2);
    check_json_bytes(json_s, seg_table_row_count(t) + 2);
    assert_non_null(strstr(json_s, "{\"label\":\"gold\",\"count\":10,"));
    assert_non_null(strstr(json_s, "{\"label\":null,\"count\":10,"));
    assert_non_null(strstr(json_s, "\"ctl\\u0001\\u0002\\u001f\x7f\""));
    assert_non_null(strstr(json_t, "\"line\\nbreak\""));
    assert_non_null(strstr(json_t, "\"crlf\\r\\nx\""));
    assert_non_null(strstr(json_t, "\"é中文🙂\""));
    const char *dir = getenv("SEG_TABLE_OUT");
    if (dir && *dir) {
        write_json(dir, "summary_table", json_t);
        write_json(dir, "summary", json_s);
        write_expect(dir, "summary", t, vals, 1);
    }
    free(csv_t);
    free(csv_s);
    free(json_t);
    free(json_s);
    seg_table_free(t);
    seg_dataset_free(ds);
}

static void test_crosstab(void **state)
{
    (void)state;
    seg_dataset *ds = dataset();
    seg_table *t;
    assert_ok(seg_dataset_crosstab_table(&t, ds, LABEL_COL, CHANNEL_COL));
    assert_string_equal(seg_table_name(t), "crosstab");
    /* the row column, 3 channels and none, total */
    assert_int_equal(seg_table_column_count(t), 6);
    assert_int_equal(seg_table_row_count(t), N_LABELS + 2);
    assert_string_equal(seg_table_column_name(t, 0), LABEL_COL);
    for (size_t c = 0; c < 3; c++)
        assert_string_equal(seg_table_column_name(t, c + 1), channels[c]);
    assert_string_equal(seg_table_column_name(t, 4), "");
    assert_string_equal(seg_table_column_name(t, 5), "total");
    for (size_t r = 0; r <= N_LABELS; r++) {
        if (r < N_LABELS)
            assert_string_equal(seg_table_text(t, r, 0), labels[r]);
        else
            assert_null(seg_table_text(t, r, 0));
        double sum = 0;
        for (size_t c = 0; c < 4; c++) {
            int n = 0;
            for (int i = (int)r; i < N_CUST; i += 13)
                n += i % 4 == (int)c;
            assert_true(seg_table_f64(t, r, c + 1) == n);
            sum += n;
        }
        assert_true(seg_table_f64(t, r, 5) == sum);
    }
    assert_string_equal(seg_table_text(t, N_LABELS + 1, 0), "total");
    for (size_t c = 0; c < 4; c++) {
        int n = 0;
        for (int i = 0; i < N_CUST; i++)
            n += i % 4 == (int)c;
        assert_true(seg_table_f64(t, N_LABELS + 1, c + 1) == n);
    }
    assert_true(seg_table_f64(t, N_LABELS + 1, 5) == N_CUST);

    char *csv_t = write_string(t, SEG_FORMAT_CSV);
    check_csv(t, csv_t);
    char *csv_s = NULL;
    assert_ok(seg_dataset_crosstab(ds, LABEL_COL, CHANNEL_COL, SEG_FORMAT_CSV,
                                   collect, &csv_s));
    assert_string_equal(csv_s, csv_t);
    assert_true(strlen(csv_t) > 200000); /* the big label twice */

    char *json_t = write_string(t, SEG_FORMAT_JSON);
    char *json_s = NULL;
    assert_ok(seg_dataset_crosstab(ds, LABEL_COL, CHANNEL_COL,
                                   SEG_FORMAT_JSON, collect, &json_s));
    check_json_bytes(json_t, seg_table_row_count(t) + 2);
    check_json_bytes(json_s, 1);
    assert_int_equal(strncmp(json_s, "{\"rows\":\"tier \\\"A\\\",\\nB\\tC"
                                     "\\u0001 é\",\"columns\":\"ch,\\\"an"
                                     "\\r\\nnel\",\"counts\":{\"gold\":{\"web\":",
                             62), 0);
    assert_non_null(strstr(json_s, "},\"total\":130}\n"));
    const char *dir = getenv("SEG_TABLE_OUT");
    if (dir && *dir) {
        const char *args[] = {CHANNEL_COL};
        write_json(dir, "crosstab_table", json_t);
        write_json(dir, "crosstab", json_s);
        write_expect(dir, "crosstab", t, args, 1);
    }
    free(csv_t);
    free(csv_s);
    free(json_t);
    free(json_s);
    seg_table_free(t);

    t = (seg_table *)ds;
    assert_int_equal(seg_dataset_crosstab_table(&t, ds, LABEL_COL, SPEND_COL),
                     SEG_ETYPE);
    assert_null(t);
    assert_int_equal(seg_dataset_crosstab_table(&t, ds, "nope", CHANNEL_COL),
                     SEG_ENOTFOUND);
    assert_int_equal(seg_dataset_crosstab_table(NULL, ds, LABEL_COL,
                                                CHANNEL_COL), SEG_EINVAL);
    seg_dataset_free(ds);
}

static void test_null_table(void **state)
{
    (void)state;
    seg_table_free(NULL);
    assert_string_equal(seg_table_name(NULL), "");
    assert_int_equal(seg_table_row_count(NULL), 0);
    assert_int_equal(seg_table_column_count(NULL), 0);
    assert_null(seg_table_column_name(NULL, 0));
    assert_int_equal(seg_table_column_type(NULL, 0), SEG_EINVAL);
    size_t at;
    assert_int_equal(seg_table_column_find(NULL, "x", &at), SEG_EINVAL);
    assert_true(isnan(seg_table_f64(NULL, 0, 0)));
    assert_null(seg_table_text(NULL, 0, 0));
    char *s = NULL;
    assert_int_equal(seg_table_write(NULL, SEG_FORMAT_CSV, collect, &s),
                     SEG_EINVAL);
    assert_int_equal(seg_table_write_file(NULL, SEG_FORMAT_CSV, "/tmp/x"),
                     SEG_EINVAL);
    assert_null(s);
}

static seg_table *small_table(seg_dataset **dsp)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_attribute_str(ds, "a", "tier", "é中"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "v", 1.5));
    assert_ok(seg_dataset_set_attribute_str(ds, "b", "tier", "abcdef"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "b", "v", 1000));
    assert_ok(seg_dataset_set_attribute_str(ds, "c", "tier", "é中"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "c", "v", NAN));
    const char *vals[] = {"v"};
    seg_table *t;
    assert_ok(seg_dataset_summary_table(&t, ds, "tier", vals, 1));
    *dsp = ds;
    return t;
}

static void test_text(void **state)
{
    (void)state;
    seg_dataset *ds;
    seg_table *t = small_table(&ds);
    char *s = write_string(t, SEG_FORMAT_TEXT);
    /* widths by code points: numbers to the right, texts to the left */
    assert_string_equal(s,
        "tier    count               share  v_total  v_mean"
        "                v_share\n"
        "é中          2  0.6666666666666666      1.5    0.75"
        "  0.0014977533699450823\n"
        "abcdef      1  0.3333333333333333     1000    1000"
        "     0.9985022466300549\n");
    free(s);
    s = NULL;
    assert_int_equal(seg_table_write(t, 0, collect, &s), SEG_EINVAL);
    assert_int_equal(seg_table_write(t, SEG_FORMAT_CSV, NULL, NULL),
                     SEG_EINVAL);
    assert_null(s);
    seg_table_free(t);
    seg_dataset_free(ds);
}

static int read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *s = NULL, buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        collect(buf, n, &s);
    fclose(f);
    *out = s ? s : strdup("");
    return 0;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void test_write_file(void **state)
{
    (void)state;
    seg_dataset *ds;
    seg_table *t = small_table(&ds);
    char dir[] = "/tmp/seg-table-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old content\n", f);
    fclose(f);

    /* a bad format leaves the old file as it was */
    assert_int_equal(seg_table_write_file(t, 42, path), SEG_EINVAL);
    char *got;
    assert_int_equal(read_file(path, &got), 0);
    assert_string_equal(got, "old content\n");
    free(got);

    for (int format = SEG_FORMAT_CSV; format <= SEG_FORMAT_TEXT; format++) {
        assert_ok(seg_table_write_file(t, format, path));
        char *want = write_string(t, format);
        assert_int_equal(read_file(path, &got), 0);
        assert_string_equal(got, want);
        free(got);
        free(want);
        assert_int_equal(dir_entries(dir), 1); /* no temporary left */
    }
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no/such/dir.csv", dir);
    assert_int_equal(seg_table_write_file(t, SEG_FORMAT_CSV, missing),
                     SEG_EIO);
    assert_int_equal(dir_entries(dir), 1);
    unlink(path);
    rmdir(dir);
    seg_table_free(t);
    seg_dataset_free(ds);
}

typedef struct stopper {
    int calls, stop_at;
    size_t bytes;
} stopper;

/* goes on for stop_at - 1 calls, then stops */
static int stop_after(const char *data, size_t len, void *user)
{
    (void)data;
    stopper *s = user;
    s->calls++;
    s->bytes += len;
    return s->calls >= s->stop_at;
}

static void test_writer_stops(void **state)
{
    (void)state;
    seg_dataset *ds = dataset();
    seg_table *t;
    assert_ok(seg_dataset_crosstab_table(&t, ds, LABEL_COL, CHANNEL_COL));
    for (int format = SEG_FORMAT_CSV; format <= SEG_FORMAT_TEXT; format++) {
        /* the whole table, in more than one call */
        stopper all = {0, 1000, 0};
        assert_ok(seg_table_write(t, format, stop_after, &all));
        assert_true(all.calls > 1);
        for (int at = 1; at <= 2; at++) {
            stopper s = {0, at, 0};
            assert_int_equal(seg_table_write(t, format, stop_after, &s),
                             SEG_EIO);
            assert_int_equal(s.calls, at); /* not called once it stopped */
            assert_true(s.bytes < all.bytes);
        }
    }
    stopper s = {0, 1, 0};
    assert_int_equal(seg_dataset_crosstab(ds, LABEL_COL, CHANNEL_COL,
                                          SEG_FORMAT_JSON, stop_after, &s),
                     SEG_EIO);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "stopped"));
    s.calls = 0;
    assert_int_equal(seg_dataset_summary(ds, LABEL_COL, NULL, 0,
                                         SEG_FORMAT_CSV, stop_after, &s),
                     SEG_EIO);
    assert_int_equal(s.calls, 1);
    s.calls = 0;
    assert_int_equal(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0,
                                        stop_after, &s), SEG_EIO);
    assert_int_equal(s.calls, 1);
    seg_table_free(t);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_table),
        cmocka_unit_test(test_summary_csv_json),
        cmocka_unit_test(test_crosstab),
        cmocka_unit_test(test_null_table),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_writer_stops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
