/* The sequential CSV loader: the header, the roles of the columns, then
 * record by record; large transaction files go to csv_parallel.c. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/internal.h"

static int load(seg_dataset *ds, seg__reader *rd, const seg_csv_options *o)
{
    seg__header h = {NULL, 0};
    seg__attr_stage *attrs = NULL;
    size_t n_attrs = o->n_attribute_columns;
    size_t col[SEG__R_N];
    bool has[SEG__R_N] = {false};
    int rc = seg__rd_refill(rd);
    if (rc)
        return rc;
    if (rd->len - rd->pos >= 3 && memcmp(rd->data + rd->pos, "\xEF\xBB\xBF", 3) == 0)
        rd->pos += 3;
    if (o->delimiter == 0)
        seg__rd_detect_delimiter(rd);
    else
        rd->delim = o->delimiter;
    rd->ws = rd->delim == ' ';
    rd->cls[(unsigned char)rd->delim] = SEG__C_DELIM;
    rd->cls['\n'] = SEG__C_EOL;
    rd->cls['"'] = SEG__C_QUOTE;
    if (o->has_header) {
        rc = seg__rd_next_record(rd);
        if (rc == SEG__REC_EOF)
            return SEG_OK; /* an empty file adds nothing */
        if (rc != SEG__REC_OK)
            return rc;
        h.names = seg__calloc(rd->nfields, sizeof *h.names);
        if (!h.names)
            return seg__nomem(rd->err);
        for (size_t i = 0; i < rd->nfields; i++, h.n++) {
            const seg__field *f = &rd->fields[i];
            size_t a = 0, b = f->n;
            while (a < b && f->p[a] == ' ')
                a++;
            while (b > a && f->p[b - 1] == ' ')
                b--;
            if (!(h.names[i] = seg__strndup(f->p + a, b - a))) {
                rc = seg__nomem(rd->err);
                goto out;
            }
        }
    }
    const char *spec[SEG__R_N] = {o->id_column, o->time_column, o->amount_column,
                             o->kind_column, o->value_column};
    if (!spec[SEG__R_ID] && !spec[SEG__R_TIME] && !spec[SEG__R_AMOUNT] && !spec[SEG__R_KIND] &&
        !spec[SEG__R_VALUE]) {
        static const char *const c_id[] = {"customer_id", "id", "customer",
                                           NULL};
        static const char *const c_time[] = {"time", "date", "timestamp",
                                             NULL};
        static const char *const c_amount[] = {"amount", NULL};
        static const char *const c_kind[] = {"kind", "event", NULL};
        static const char *const c_value[] = {"value", NULL};
        spec[SEG__R_ID] = seg__guess(&h, c_id);
        spec[SEG__R_TIME] = seg__guess(&h, c_time);
        spec[SEG__R_AMOUNT] = seg__guess(&h, c_amount);
        spec[SEG__R_KIND] = seg__guess(&h, c_kind);
        spec[SEG__R_VALUE] = spec[SEG__R_KIND] ? seg__guess(&h, c_value) : NULL;
    }
    if (o->row_ids)
        spec[SEG__R_ID] = NULL;
    else if (!spec[SEG__R_ID]) {
        rc = seg__error(rd->err, SEG_EINVAL,
                        "%s: no customer id column: set id_column (--map "
                        "id=COLUMN)", rd->name);
        goto out;
    }
    for (int r = 0; r < SEG__R_N; r++) {
        if (spec[r]) {
            rc = seg__resolve(rd, &h, seg__role_names[r], spec[r], &col[r]);
            if (rc)
                goto out;
            has[r] = true;
        }
    }
    bool events = has[SEG__R_KIND], txs = !events && has[SEG__R_AMOUNT];
    if ((events || txs) && !has[SEG__R_TIME]) {
        rc = seg__error(rd->err, SEG_EINVAL,
                        "%s: %s need a time column: set time_column (--map "
                        "time=COLUMN)", rd->name,
                        events ? "events" : "transactions");
        goto out;
    }
    if (o->all_attributes) {
        if (!o->has_header) {
            rc = seg__error(rd->err, SEG_EINVAL, "%s: all_attributes needs "
                            "a header", rd->name);
            goto out;
        }
        n_attrs = 0;
        for (size_t i = 0; i < h.n; i++) {
            bool role = false;
            for (int r = 0; r < SEG__R_N; r++)
                role = role || (has[r] && col[r] == i);
            n_attrs += !role;
        }
        attrs = seg__calloc(n_attrs ? n_attrs : 1, sizeof *attrs);
        if (!attrs) {
            rc = seg__nomem(rd->err);
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < h.n; i++) {
            bool role = false;
            for (int r = 0; r < SEG__R_N; r++)
                role = role || (has[r] && col[r] == i);
            if (role)
                continue;
            if (!*h.names[i] || !seg__utf8_valid(h.names[i],
                                                 strlen(h.names[i]))) {
                rc = seg__error(rd->err, SEG_EPARSE, "%s:1:%zu: a column "
                                "without a valid name", rd->name, i + 1);
                goto out;
            }
            attrs[k].name = h.names[i];
            attrs[k++].col = i;
        }
    } else if (n_attrs) {
        attrs = seg__calloc(n_attrs, sizeof *attrs);
        if (!attrs) {
            rc = seg__nomem(rd->err);
            goto out;
        }
        for (size_t i = 0; i < n_attrs; i++) {
            const char *nm = o->attribute_columns[i];
            if (!nm || !*nm || !seg__utf8_valid(nm, strlen(nm))) {
                rc = seg__error(rd->err, SEG_EINVAL,
                                "attribute column %zu has no valid name", i);
                goto out;
            }
            attrs[i].name = nm;
            rc = seg__resolve(rd, &h, "attribute", nm, &attrs[i].col);
            if (rc)
                goto out;
            /* a numbered column is named by its header text when there is one */
            if (attrs[i].col < h.n)
                attrs[i].name = h.names[attrs[i].col];
        }
    }
    size_t need = 0;
    for (int r = 0; r < SEG__R_N; r++)
        if (has[r] && col[r] + 1 > need)
            need = col[r] + 1;
    for (size_t i = 0; i < n_attrs; i++)
        if (attrs[i].col + 1 > need)
            need = attrs[i].col + 1;

    const char *last_id = NULL;
    size_t last_id_n = 0;
    seg__buf last_id_buf = {NULL, 0, 0};
    uint32_t last_row = 0;
    size_t record_no = 0;
    char ex[64], msg[512];
    if (txs && !n_attrs && !o->row_ids && !rd->ws) {
        size_t size = rd->size > rd->len ? rd->size : rd->len;
        int threads = seg__threads(ds->threads, size, 4u << 20);
        if (threads > 1) {
            rc = seg__load_tx_parallel(ds, rd, o, col, need, threads);
            if (rc != SEG__REC_MORE) /* SEG__REC_MORE: quotes ahead, go on below */
                goto out;
        }
    }
    for (;;) {
        rc = seg__rd_next_record(rd);
        if (rc == SEG__REC_EOF) {
            rc = SEG_OK;
            break;
        }
        if (rc != SEG__REC_OK)
            break;
        rc = SEG_OK;
        size_t ln = rd->rec_line;
        record_no++;
        if (rd->nfields < need) {
            rc = seg__rd_error(rd, SEG_EPARSE, ln, rd->nfields + 1,
                          "expected at least %zu fields, found %zu", need,
                          rd->nfields);
            break;
        }
        seg__field rowid;
        char rowbuf[24];
        if (o->row_ids) {
            rowid.p = rowbuf;
            rowid.n = (size_t)snprintf(rowbuf, sizeof rowbuf, "%zu",
                                       record_no);
            rowid.in_scratch = false;
        }
        const seg__field *fid = o->row_ids ? &rowid : &rd->fields[col[SEG__R_ID]];
        uint32_t row;
        if (last_id && fid->n == last_id_n &&
            memcmp(fid->p, last_id, last_id_n) == 0) {
            row = last_row;
        } else {
            if ((rc = seg__check_id(fid, msg, sizeof msg)) != SEG_OK) {
                rc = seg__rd_error(rd, rc, ln, col[SEG__R_ID] + 1, "%s", msg);
                break;
            }
            rc = seg__ds_customer(ds, fid->p, fid->n, &row);
            if (rc)
                break;
            last_id_buf.len = 0;
            if (seg__buf_append(&last_id_buf, fid->p, fid->n)) {
                rc = seg__nomem(rd->err);
                break;
            }
            last_id = last_id_buf.data;
            last_id_n = fid->n;
            last_row = row;
        }
        if (events || txs) {
            int64_t t;
            if ((rc = seg__time_value(&rd->fields[col[SEG__R_TIME]], o->time_format,
                                 &t, msg, sizeof msg)) != SEG_OK) {
                rc = seg__rd_error(rd, rc, ln, col[SEG__R_TIME] + 1, "%s", msg);
                break;
            }
            if (txs) {
                double amount;
                if ((rc = seg__amount_value(&rd->fields[col[SEG__R_AMOUNT]], &amount,
                                       msg, sizeof msg)) != SEG_OK) {
                    rc = seg__rd_error(rd, rc, ln, col[SEG__R_AMOUNT] + 1, "%s", msg);
                    break;
                }
                if (ds->n_tx == ds->cap_tx && (rc = seg__ds_reserve_tx(ds, 1)))
                    break;
                seg__ds_push_tx(ds, row, t, amount);
            } else {
                const seg__field *fk = &rd->fields[col[SEG__R_KIND]];
                if (fk->n == 0 || !seg__utf8_valid(fk->p, fk->n)) {
                    rc = seg__rd_error(rd, SEG_EPARSE, ln, col[SEG__R_KIND] + 1,
                                  fk->n ? "event kind is not valid UTF-8"
                                        : "event kind is empty");
                    break;
                }
                double value = NAN;
                if (has[SEG__R_VALUE]) {
                    const seg__field *fv = &rd->fields[col[SEG__R_VALUE]];
                    bool blank = true;
                    for (size_t k = 0; k < fv->n; k++)
                        blank = blank && (fv->p[k] == ' ' || fv->p[k] == '\t');
                    int vrc = blank ? SEG_OK
                                    : seg__parse_f64(fv->p, fv->n, &value);
                    if (vrc) {
                        rc = seg__rd_error(rd, vrc, ln, col[SEG__R_VALUE] + 1,
                                      "event value '%s' is not a number",
                                      seg__field_excerpt(ex, sizeof ex, fv));
                        break;
                    }
                }
                if ((rc = seg__ds_push_ev(ds, row, t, fk->p, fk->n, value)))
                    break;
            }
        }
        for (size_t i = 0; i < n_attrs && !rc; i++) {
            const seg__field *fa = &rd->fields[attrs[i].col];
            if (fa->n)
                rc = seg__stage_attr(rd, &attrs[i], row, ln, fa);
        }
        if (rc)
            break;
    }
    seg__buf_free(&last_id_buf);
    for (size_t i = 0; i < n_attrs && !rc; i++)
        rc = seg__apply_attr(ds, rd, &attrs[i]);
out:
    if (attrs)
        for (size_t i = 0; i < n_attrs; i++)
            seg__attr_free(&attrs[i]);
    seg__free(attrs);
    seg__header_free(&h);
    return rc;
}

void seg_csv_options_init(seg_csv_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->has_header = 1;
    o->time_format = SEG_TIME_AUTO;
}

static int load_common(seg_dataset *ds, seg__reader *rd,
                       const seg_csv_options *opts)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&ds->err, SEG_EINVAL, "seg_csv_options.size is 0: "
                          "call seg_csv_options_init()");
    if (o.delimiter != 0 && o.delimiter != ',' && o.delimiter != '\t' &&
        o.delimiter != ';' && o.delimiter != ' ')
        return seg__error(&ds->err, SEG_EINVAL,
                          "unsupported delimiter (use ',', tab, ';' or ' ')");
    if (o.time_format < SEG_TIME_AUTO || o.time_format > SEG_TIME_EPOCH)
        return seg__error(&ds->err, SEG_EINVAL, "unknown time format %d",
                          o.time_format);
    if (o.n_attribute_columns && !o.attribute_columns)
        return seg__error(&ds->err, SEG_EINVAL,
                          "attribute_columns is NULL but n_attribute_columns "
                          "is %zu", o.n_attribute_columns);
    rd->line = 1;
    rd->err = &ds->err;
    seg__ds_mark(ds);
    int rc = load(ds, rd, &o);
    if (rc) {
        seg__ds_rollback(ds);
        if (rc == SEG_ENOMEM)
            seg__nomem(&ds->err);
    } else {
        seg__ds_commit(ds);
    }
    seg__free(rd->fields);
    seg__buf_free(&rd->scratch);
    return rc;
}

int seg_dataset_load_csv(seg_dataset *ds, const char *path,
                         const seg_csv_options *opts)
{
    if (!ds || !path)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_load_csv: NULL argument");
    seg__reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = path;
    rd.f = fopen(path, "rb");
    if (!rd.f)
        return seg__error(&ds->err, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(rd.f), &st) == 0 && st.st_size > 0)
        rd.size = (size_t)st.st_size;
    int rc = load_common(ds, &rd, opts);
    fclose(rd.f);
    seg__free(rd.buf);
    return rc;
}

int seg_dataset_load_csv_buffer(seg_dataset *ds, const char *data, size_t len,
                                const char *name, const seg_csv_options *opts)
{
    if (!ds || (!data && len))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_load_csv_buffer: NULL argument");
    seg__reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = name ? name : "<buffer>";
    rd.data = data ? data : "";
    rd.len = len;
    rd.eof = true;
    return load_common(ds, &rd, opts);
}
