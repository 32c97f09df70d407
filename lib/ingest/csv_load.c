/* CSV into a dataset: the options checked, the header and the roles of the
 * columns, then record by record into the sink; a large file of
 * transactions goes to csv_parallel.c. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/internal.h"

/* the default version; lib/core/compat.c has 0.1's */
#ifdef SEG__VERSIONED
void seg__csv_options_init_0_2(seg_csv_options *o);
SEG__VERSIONED(seg__csv_options_init_0_2, "seg_csv_options_init@@SEG_0.2");
SEG__VERSIONED_API void seg__csv_options_init_0_2(seg_csv_options *o)
#else
void seg_csv_options_init(seg_csv_options *o)
#endif
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->has_header = 1;
    o->time_format = SEG_TIME_AUTO;
}

static int check_options(const seg__sink *s, const seg_csv_options *o)
{
    const size_t nowhere = (size_t)-1;
    if (o->delimiter != 0 && o->delimiter != ',' && o->delimiter != '\t' &&
        o->delimiter != ';' && o->delimiter != ' ')
        return seg__sink_fail(s, SEG_EINVAL, nowhere, 0,
                              "unsupported delimiter (use ',', tab, ';' or "
                              "' ')");
    if (o->time_format < SEG_TIME_AUTO || o->time_format > SEG_TIME_EPOCH)
        return seg__sink_fail(s, SEG_EINVAL, nowhere, 0,
                              "unknown time format %d", o->time_format);
    if (o->row_ids < 0 || o->row_ids > 2)
        return seg__sink_fail(s, SEG_EINVAL, nowhere, 0,
                              "row_ids is %d (0, 1 or 2)", o->row_ids);
    if (o->n_attribute_columns && !o->attribute_columns)
        return seg__sink_fail(s, SEG_EINVAL, nowhere, 0,
                              "attribute_columns is NULL but "
                              "n_attribute_columns is %zu",
                              o->n_attribute_columns);
    return SEG_OK;
}

/* Bytes of the input taken so far. */
static uint64_t bytes_read(const seg__reader *rd)
{
    long at = rd->f ? ftell(rd->f) : 0;
    return rd->f ? (uint64_t)(at > 0 ? at : 0) - (rd->len - rd->pos)
                 : rd->pos;
}

/* A category column that names none is surely the wrong column. */
static int no_categories(const seg__sink *s, const char *category)
{
    if (!s->has[SEG__R_CATEGORY] || !s->records || s->categorized)
        return SEG_OK;
    char ex[64];
    return seg__sink_fail(s, SEG_EINVAL, (size_t)-1, 0,
                          "category column '%s' has no values: every "
                          "record's field is empty",
                          seg__excerpt(ex, sizeof ex, category,
                                       strlen(category)));
}

static int load(seg__sink *s, seg__reader *rd, const seg_csv_options *o,
                const char *category)
{
    seg__progress *p = seg__progress_current();
    int rc = seg__rd_start(rd, o->delimiter);
    if (rc)
        return rc;
    if (o->has_header) {
        rc = seg__rd_next_record(rd);
        if (rc == SEG__REC_EOF)
            return SEG_OK; /* an empty file adds nothing */
        if (rc != SEG__REC_OK)
            return rc;
        if ((rc = seg__sink_header(s, rd->fields, rd->nfields)) != SEG_OK)
            return rc;
    }
    seg__roles_spec spec = {
        {o->id_column, o->time_column, o->amount_column, o->kind_column,
         o->value_column, category},
        o->attribute_columns, o->n_attribute_columns, o->row_ids != 0,
        o->all_attributes != 0, o->row_ids == 2};
    s->time_format = o->time_format;
    s->no_returns = o->reject_negative_amounts != 0;
    if ((rc = seg__sink_map(s, &spec)) != SEG_OK)
        return rc;
    /* transactions, or a file of attributes (a summary, features): the
     * threaded path */
    bool attrs_only = !s->txs && !s->events && s->n_attrs;
    if ((s->txs ? !s->n_attrs : attrs_only) && !s->row_ids && !rd->ws &&
        !s->has[SEG__R_CATEGORY]) {
        size_t size = rd->size > rd->len ? rd->size : rd->len;
        int threads = seg__threads(s->ds->threads, size, 4u << 20);
        /* one thread on a large file still gains from the batches: the
         * customers of a batch are added with their lookups prefetched */
        if (threads > 1 || size >= (4u << 20)) {
            rc = seg__load_tx_parallel(s, rd, threads);
            if (rc != SEG__REC_MORE) /* quotes ahead: go on below */
                return rc;
        }
    }
    uint64_t start = bytes_read(rd);
    size_t probe = s->records + 8192;
    for (;;) {
        rc = seg__rd_next_record(rd);
        if (rc == SEG__REC_EOF)
            return no_categories(s, category);
        if (rc != SEG__REC_OK)
            return rc;
        if (s->records == probe && rd->size) { /* a large file: room for it */
            uint64_t done = bytes_read(rd) - start;
            if (done && rd->size > start + done)
                seg__sink_expect(s, (double)(rd->size - start) /
                                        (double)done * 1.02);
        }
        rc = seg__sink_record(s, rd->rec_line, rd->fields, rd->nfields);
        if (!rc && seg__progress_due(p)) {
            p->done = bytes_read(rd);
            rc = seg__progress_check(p);
        }
        if (rc)
            return rc;
    }
}

static int load_common(seg_dataset *ds, seg__reader *rd, const char *name,
                       const seg_csv_options *opts, const char *category)
{
    seg__sink s;
    seg__sink_begin(&s, ds, name);
    rd->sink = &s;
    seg__progress p;
    int prc = seg__ds_progress_begin(&p, ds, NULL, SEG_STAGE_LOAD,
                                     rd->f ? rd->size : rd->len);
    seg_csv_options o;
    seg_csv_options_init(&o);
    int rc = SEG_OK;
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        rc = seg__sink_fail(&s, SEG_EINVAL, (size_t)-1, 0,
                            "seg_csv_options.size is 0: call "
                            "seg_csv_options_init()");
    if (!rc)
        rc = prc ? prc : check_options(&s, &o);
    if (!rc)
        rc = load(&s, rd, &o, category);
    seg__progress_end(&p);
    rc = seg__sink_end(&s, rc);
    seg__rd_free(rd);
    return rc;
}

static int load_path(seg_dataset *ds, const char *fn, const char *path,
                     const seg_csv_options *opts, const char *category)
{
    if (!ds || !path)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "%s: NULL argument", fn);
    seg__reader rd;
    memset(&rd, 0, sizeof rd);
    rd.f = fopen(path, "rb");
    if (!rd.f)
        return seg__error(&ds->err, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(rd.f), &st) == 0 && st.st_size > 0)
        rd.size = (size_t)st.st_size;
    FILE *f = rd.f;
    size_t size = rd.size;
    int rc = load_common(ds, &rd, path, opts, category);
    /* Each thread costs its own buffers and, in the C library, its own
     * reserved heap: under an address-space limit (ulimit -v) many threads
     * can fail where one would not. The failed load left the dataset as it
     * was, so it is tried once more on the calling thread alone. */
    if (rc == SEG_ENOMEM && seg__threads(ds->threads, size, 4u << 20) > 1 &&
        fseek(f, 0, SEEK_SET) == 0) {
        memset(&rd, 0, sizeof rd);
        rd.f = f;
        rd.size = size;
        int threads = ds->threads;
        ds->threads = 1;
        rc = load_common(ds, &rd, path, opts, category);
        ds->threads = threads;
    }
    fclose(f);
    return rc;
}

int seg_dataset_load_csv(seg_dataset *ds, const char *path,
                         const seg_csv_options *opts)
{
    return load_path(ds, "seg_dataset_load_csv", path, opts, NULL);
}

int seg_dataset_load_csv_cat(seg_dataset *ds, const char *path,
                             const seg_csv_options *opts,
                             const char *category_column)
{
    return load_path(ds, "seg_dataset_load_csv_cat", path, opts,
                     category_column);
}

static int load_buffer(seg_dataset *ds, const char *fn, const char *data,
                       size_t len, const char *name,
                       const seg_csv_options *opts, const char *category)
{
    if (!ds || (!data && len))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "%s: NULL argument", fn);
    seg__reader rd;
    memset(&rd, 0, sizeof rd);
    rd.data = data ? data : "";
    rd.len = len;
    rd.eof = true;
    return load_common(ds, &rd, name ? name : "<buffer>", opts, category);
}

int seg_dataset_load_csv_buffer(seg_dataset *ds, const char *data, size_t len,
                                const char *name, const seg_csv_options *opts)
{
    return load_buffer(ds, "seg_dataset_load_csv_buffer", data, len, name,
                       opts, NULL);
}

int seg_dataset_load_csv_buffer_cat(seg_dataset *ds, const char *data,
                                    size_t len, const char *name,
                                    const seg_csv_options *opts,
                                    const char *category_column)
{
    return load_buffer(ds, "seg_dataset_load_csv_buffer_cat", data, len,
                       name, opts, category_column);
}
