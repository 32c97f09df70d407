/* seg_table: named, typed columns of numbers (NaN missing) and texts
 * (NULL missing); built here, read through the public accessors, written
 * through the one writer. */
#include <math.h>
#include <string.h>

#include "output/internal.h"

typedef struct table_col {
    char *name;
    int type;
    double *num;   /* numeric column: one double a row */
    char **text;   /* text column: one owned string a row, NULL missing */
} table_col;

struct seg_table {
    char *name;
    size_t n_cols;
    table_col *cols;
    size_t n_rows, cap_rows;
};

void seg_table_free(seg_table *t)
{
    if (!t)
        return;
    for (size_t c = 0; c < t->n_cols; c++) {
        table_col *col = &t->cols[c];
        if (col->text)
            for (size_t r = 0; r < t->n_rows; r++)
                seg__free(col->text[r]);
        seg__free(col->text);
        seg__free(col->num);
        seg__free(col->name);
    }
    seg__free(t->cols);
    seg__free(t->name);
    seg__free(t);
}

int seg__table_new(seg_table **out, const char *name, size_t n_cols,
                   const char *const *names, const int *types)
{
    *out = NULL;
    if ((n_cols && (!names || !types)))
        return SEG_EINVAL;
    for (size_t c = 0; c < n_cols; c++)
        if (!names[c] ||
            (types[c] != SEG_COLUMN_NUMERIC && types[c] != SEG_COLUMN_LABEL))
            return SEG_EINVAL;
    seg_table *t = seg__calloc(1, sizeof *t);
    if (!t)
        return SEG_ENOMEM;
    const char *nm = name ? name : "";
    t->name = seg__strndup(nm, strlen(nm));
    t->cols = seg__calloc(n_cols ? n_cols : 1, sizeof *t->cols);
    if (!t->name || !t->cols) {
        seg_table_free(t);
        return SEG_ENOMEM;
    }
    for (size_t c = 0; c < n_cols; c++) {
        t->cols[c].type = types[c];
        t->cols[c].name = seg__strndup(names[c], strlen(names[c]));
        t->n_cols = c + 1;
        if (!t->cols[c].name) {
            seg_table_free(t);
            return SEG_ENOMEM;
        }
    }
    *out = t;
    return SEG_OK;
}

int seg__table_add_row(seg_table *t, size_t *row)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        if (cap < t->cap_rows)
            return SEG_ENOMEM;
        for (size_t c = 0; c < t->n_cols; c++) {
            table_col *col = &t->cols[c];
            /* every column grows to cap; a column that grew before a later
             * one failed keeps its larger block, which is harmless */
            if (col->type == SEG_COLUMN_NUMERIC) {
                size_t k = t->cap_rows;
                if (seg__grow((void **)&col->num, &k, cap, sizeof *col->num))
                    return SEG_ENOMEM;
            } else {
                size_t k = t->cap_rows;
                if (seg__grow((void **)&col->text, &k, cap, sizeof *col->text))
                    return SEG_ENOMEM;
            }
        }
        t->cap_rows = cap;
    }
    size_t r = t->n_rows++;
    for (size_t c = 0; c < t->n_cols; c++) {
        if (t->cols[c].type == SEG_COLUMN_NUMERIC)
            t->cols[c].num[r] = NAN;
        else
            t->cols[c].text[r] = NULL;
    }
    if (row)
        *row = r;
    return SEG_OK;
}

int seg__table_set_num(seg_table *t, size_t row, size_t col, double v)
{
    if (row >= t->n_rows || col >= t->n_cols ||
        t->cols[col].type != SEG_COLUMN_NUMERIC)
        return SEG_EINVAL;
    t->cols[col].num[row] = v;
    return SEG_OK;
}

int seg__table_set_text(seg_table *t, size_t row, size_t col, const char *s)
{
    if (row >= t->n_rows || col >= t->n_cols ||
        t->cols[col].type != SEG_COLUMN_LABEL)
        return SEG_EINVAL;
    char *copy = NULL;
    if (s && !(copy = seg__strndup(s, strlen(s))))
        return SEG_ENOMEM;
    seg__free(t->cols[col].text[row]);
    t->cols[col].text[row] = copy;
    return SEG_OK;
}

/* ---- readers ---- */

const char *seg_table_name(const seg_table *t) { return t ? t->name : ""; }

size_t seg_table_row_count(const seg_table *t) { return t ? t->n_rows : 0; }

size_t seg_table_column_count(const seg_table *t)
{
    return t ? t->n_cols : 0;
}

const char *seg_table_column_name(const seg_table *t, size_t col)
{
    return t && col < t->n_cols ? t->cols[col].name : NULL;
}

int seg_table_column_type(const seg_table *t, size_t col)
{
    return t && col < t->n_cols ? t->cols[col].type : SEG_EINVAL;
}

int seg_table_column_find(const seg_table *t, const char *name, size_t *col)
{
    if (!t || !name || !col)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_table_column_find: NULL argument");
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cols[c].name, name) == 0) {
            *col = c;
            return SEG_OK;
        }
    char ex[64];
    return seg__error(NULL, SEG_ENOTFOUND, "table '%s' has no column '%s'",
                      t->name, seg__excerpt(ex, sizeof ex, name, strlen(name)));
}

double seg_table_f64(const seg_table *t, size_t row, size_t col)
{
    if (!t || row >= t->n_rows || col >= t->n_cols ||
        t->cols[col].type != SEG_COLUMN_NUMERIC)
        return NAN;
    return t->cols[col].num[row];
}

const char *seg_table_text(const seg_table *t, size_t row, size_t col)
{
    if (!t || row >= t->n_rows || col >= t->n_cols ||
        t->cols[col].type != SEG_COLUMN_LABEL)
        return NULL;
    return t->cols[col].text[row];
}

/* ---- writing ---- */

static void write_cell(seg__writer *w, const seg_table *t, size_t r, size_t c)
{
    if (t->cols[c].type == SEG_COLUMN_NUMERIC)
        seg__w_num(w, t->cols[c].num[r]);
    else
        seg__w_text(w, t->cols[c].text[r]);
}

/* Display width: UTF-8 code points (bytes that do not continue one). */
static size_t width_of(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* The text of a cell as TEXT shows it: into *num for numbers. */
static const char *cell_text(const seg_table *t, size_t r, size_t c,
                             char num[40], size_t *len)
{
    const table_col *col = &t->cols[c];
    if (col->type == SEG_COLUMN_NUMERIC) {
        double v = col->num[r];
        *len = isnan(v) ? 0 : seg__format_f64(num, v);
        return num;
    }
    const char *s = col->text[r] ? col->text[r] : "";
    *len = strlen(s);
    return s;
}

static void pad(seg__writer *w, size_t n)
{
    static const char spaces[] = "                                ";
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        seg__w_raw(w, spaces, k);
        n -= k;
    }
}

/* Aligned columns, two spaces apart; numbers to the right, texts to the
 * left; no spaces at the end of a line. */
static void write_text(seg__writer *w, const seg_table *t)
{
    size_t *wd = seg__calloc(t->n_cols ? t->n_cols : 1, sizeof *wd);
    if (!wd) {
        w->rc = w->rc ? w->rc : SEG_ENOMEM;
        return;
    }
    char num[40];
    size_t len;
    for (size_t c = 0; c < t->n_cols; c++) {
        wd[c] = width_of(t->cols[c].name, strlen(t->cols[c].name));
        for (size_t r = 0; r < t->n_rows; r++) {
            const char *s = cell_text(t, r, c, num, &len);
            size_t x = width_of(s, len);
            if (x > wd[c])
                wd[c] = x;
        }
    }
    for (size_t r = 0; r <= t->n_rows && !w->rc; r++) {
        size_t pending = 0; /* spaces owed before the next text */
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *s;
            if (r == 0) {
                s = t->cols[c].name;
                len = strlen(s);
            } else {
                s = cell_text(t, r - 1, c, num, &len);
            }
            size_t gap = wd[c] - width_of(s, len);
            bool right = t->cols[c].type == SEG_COLUMN_NUMERIC;
            pending += (c ? 2 : 0) + (right ? gap : 0);
            if (len) {
                pad(w, pending);
                seg__w_raw(w, s, len);
                pending = 0;
            }
            if (!right)
                pending += gap;
        }
        seg__w_raw(w, "\n", 1);
    }
    seg__free(wd);
}

void seg__table_write(seg__writer *w, const seg_table *t)
{
    if (w->format == SEG_FORMAT_TEXT) {
        write_text(w, t);
        return;
    }
    if (w->format == SEG_FORMAT_JSON) {
        seg__w_raw(w, "[", 1);
        for (size_t r = 0; r < t->n_rows && !w->rc; r++) {
            seg__w_str(w, r ? ",\n{" : "\n{");
            for (size_t c = 0; c < t->n_cols; c++) {
                if (c)
                    seg__w_raw(w, ",", 1);
                seg__w_text(w, t->cols[c].name);
                seg__w_raw(w, ":", 1);
                write_cell(w, t, r, c);
            }
            seg__w_raw(w, "}", 1);
        }
        seg__w_str(w, "\n]\n");
        return;
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        if (c)
            seg__w_raw(w, ",", 1);
        seg__w_text(w, t->cols[c].name);
    }
    seg__w_raw(w, "\n", 1);
    for (size_t r = 0; r < t->n_rows && !w->rc; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            if (c)
                seg__w_raw(w, ",", 1);
            write_cell(w, t, r, c);
        }
        seg__w_raw(w, "\n", 1);
    }
}

int seg_table_write(const seg_table *t, int format, seg_write_fn write,
                    void *user_data)
{
    if (!t || !write)
        return seg__error(NULL, SEG_EINVAL, "seg_table_write: NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON &&
        format != SEG_FORMAT_TEXT)
        return seg__error(NULL, SEG_EINVAL, "unknown table format %d", format);
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    seg__table_write(&w, t);
    return seg__w_finish(&w, NULL);
}

typedef struct table_job {
    const seg_table *t;
    int format;
} table_job;

static int produce_table(seg_write_fn write, void *write_user, void *ctx)
{
    const table_job *j = ctx;
    return seg_table_write(j->t, j->format, write, write_user);
}

int seg_table_write_file(const seg_table *t, int format, const char *path)
{
    if (!t || !path)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_table_write_file: NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON &&
        format != SEG_FORMAT_TEXT)
        return seg__error(NULL, SEG_EINVAL, "unknown table format %d", format);
    table_job j = {t, format};
    return seg__write_atomic(NULL, path, produce_table, &j);
}
