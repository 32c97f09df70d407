/* What the definitions of lib/ops and their outputs share (spec.h). */
#include <string.h>

#include "ops/spec.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

size_t seg__split_words(const char *s, size_t n, seg__word *w, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        if (blank(s[i])) {
            i++;
            continue;
        }
        if (k == max)
            return max + 1;
        size_t j = i + 1;
        if (s[i] == '"') {
            while (j < n && s[j] != '"')
                j++;
            if (j == n)
                return max + 2;
            w[k++] = (seg__word){s + i + 1, j - i - 1};
            i = j + 1;
            continue;
        }
        if (s[i] != '=')
            while (j < n && !blank(s[j]) && s[j] != '=')
                j++;
        w[k++] = (seg__word){s + i, j - i};
        i = j;
    }
    return k;
}

bool seg__word_is(const seg__word *w, const char *s)
{
    return w->n == strlen(s) && memcmp(w->s, s, w->n) == 0;
}

char *seg__ops_column_name(const char *prefix, const char *what)
{
    size_t np = strlen(prefix), nw = strlen(what);
    char *s = seg__malloc(np + nw + 2);
    if (s) {
        memcpy(s, prefix, np);
        s[np] = '.';
        memcpy(s + np + 1, what, nw + 1);
    }
    return s;
}

int seg__ops_set_time(seg_table *t, size_t row, size_t col,
                      const seg__tz *tz, int64_t v)
{
    char buf[SEG__ISO_MAX];
    if (v == SEG_TIME_NONE || !seg__time_format_in(tz, buf, v))
        return SEG_OK;
    return seg__table_set_text(t, row, col, buf);
}

const char *seg__ops_preset_text(const seg__ops_preset *p, size_t n,
                                 const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return p[i].text;
    return NULL;
}

const char *seg__ops_errmsg(const seg__errbuf *err, char *buf)
{
    seg__errbuf *e = (seg__errbuf *)err;
    pthread_mutex_lock(&e->lock);
    if (e->has)
        memcpy(buf, e->msg, SEG__ERRMSG_MAX);
    else
        strcpy(buf, "no error");
    pthread_mutex_unlock(&e->lock);
    return buf;
}
