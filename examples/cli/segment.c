/* segment: the command-line front end of libsegment.
 *
 * Exit codes: 0 success, 1 usage error, 2 bad input (the library's message
 * is printed on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

enum { EXIT_USAGE = 1, EXIT_INPUT = 2 };

static const char usage[] =
    "usage: segment COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  features DATA.csv   print one CSV row of features per customer\n"
    "\n"
    "options of features:\n"
    "  --as-of DATE          end of the observation period (a date means the\n"
    "                        end of that day); default: the latest record\n"
    "  --time-unit day|week  unit of t_x, T and recency (default day)\n"
    "  --holdout-from DATE   start of a holdout period: calibration features\n"
    "                        before it, holdout_* columns from it to --as-of\n"
    "  --map ROLE=COLUMN     column of a role: id, time, amount, kind, value,\n"
    "                        or attr (repeatable); COLUMN is a header name or\n"
    "                        a 1-based number\n"
    "  --no-header           the first line is data\n"
    "  --delimiter C         ',', ';', 'tab' or 'space' (runs of whitespace);\n"
    "                        default: detected from the first line\n"
    "  --time-format F       auto, iso, yyyymmdd or epoch (default auto)\n"
    "  --format csv|json     output format (default csv)\n"
    "\n"
    "  --help                show this help\n"
    "  --version             show the version\n"
    "\n"
    "exit codes: 0 success, 1 usage error, 2 bad input\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "segment: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'segment --help'.\n");
    return EXIT_USAGE;
}

static int write_stdout(const char *data, size_t len, void *user)
{
    (void)user;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

/* A date alone means the whole day: its end, for an inclusive as-of. */
static int parse_time_arg(const char *s, int end_of_day, int64_t *out)
{
    if (seg_time_parse(out, s, strlen(s), SEG_TIME_AUTO) != SEG_OK)
        return -1;
    size_t n = strlen(s);
    int date_only = (n == 10 && s[4] == '-') ||
                    (n == 8 && strspn(s, "0123456789") == 8);
    if (end_of_day && date_only)
        *out += 86399;
    return 0;
}

static int cmd_features(int argc, char **argv)
{
    const char *path = NULL;
    seg_csv_options csv;
    seg_features_options fo;
    seg_csv_options_init(&csv);
    seg_features_options_init(&fo);
    const char **attrs = calloc((size_t)argc, sizeof *attrs);
    int format = SEG_FORMAT_CSV;
    int rc = 0;
    if (!attrs)
        return EXIT_INPUT;
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--no-header") == 0) {
            csv.has_header = 0;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            rc = usage_error("option %s needs a value", a);
        } else if (strcmp(a, "--as-of") == 0) {
            if (parse_time_arg(v, 1, &fo.as_of))
                rc = usage_error("--as-of: '%s' is not a date or time", v);
        } else if (strcmp(a, "--holdout-from") == 0) {
            if (parse_time_arg(v, 0, &fo.holdout_from))
                rc = usage_error("--holdout-from: '%s' is not a date or time",
                                 v);
        } else if (strcmp(a, "--time-unit") == 0) {
            if (strcmp(v, "day") == 0)
                fo.time_unit = SEG_UNIT_DAY;
            else if (strcmp(v, "week") == 0)
                fo.time_unit = SEG_UNIT_WEEK;
            else
                rc = usage_error("--time-unit: '%s' is not day or week", v);
        } else if (strcmp(a, "--map") == 0) {
            const char *eq = strchr(v, '=');
            size_t rl = eq ? (size_t)(eq - v) : 0;
            const char *col = eq ? eq + 1 : NULL;
            if (!eq || !*col)
                rc = usage_error("--map: '%s' is not ROLE=COLUMN", v);
            else if (rl == 2 && strncmp(v, "id", 2) == 0)
                csv.id_column = col;
            else if (rl == 4 && strncmp(v, "time", 4) == 0)
                csv.time_column = col;
            else if (rl == 6 && strncmp(v, "amount", 6) == 0)
                csv.amount_column = col;
            else if (rl == 4 && strncmp(v, "kind", 4) == 0)
                csv.kind_column = col;
            else if (rl == 5 && strncmp(v, "value", 5) == 0)
                csv.value_column = col;
            else if (rl == 4 && strncmp(v, "attr", 4) == 0)
                attrs[csv.n_attribute_columns++] = col;
            else
                rc = usage_error("--map: unknown role in '%s' (id, time, "
                                 "amount, kind, value, attr)", v);
        } else if (strcmp(a, "--delimiter") == 0) {
            if (strcmp(v, ",") == 0 || strcmp(v, ";") == 0)
                csv.delimiter = v[0];
            else if (strcmp(v, "tab") == 0 || strcmp(v, "\t") == 0)
                csv.delimiter = '\t';
            else if (strcmp(v, "space") == 0 || strcmp(v, " ") == 0)
                csv.delimiter = ' ';
            else
                rc = usage_error("--delimiter: '%s' is not ',', ';', tab or "
                                 "space", v);
        } else if (strcmp(a, "--time-format") == 0) {
            if (strcmp(v, "auto") == 0)
                csv.time_format = SEG_TIME_AUTO;
            else if (strcmp(v, "iso") == 0)
                csv.time_format = SEG_TIME_ISO8601;
            else if (strcmp(v, "yyyymmdd") == 0)
                csv.time_format = SEG_TIME_YYYYMMDD;
            else if (strcmp(v, "epoch") == 0)
                csv.time_format = SEG_TIME_EPOCH;
            else
                rc = usage_error("--time-format: '%s' is not auto, iso, "
                                 "yyyymmdd or epoch", v);
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "csv") == 0)
                format = SEG_FORMAT_CSV;
            else if (strcmp(v, "json") == 0)
                format = SEG_FORMAT_JSON;
            else
                rc = usage_error("--format: '%s' is not csv or json", v);
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error("unknown option '%s'", a);
        } else if (!path) {
            path = a;
            takes = 0;
        } else {
            rc = usage_error("unexpected argument '%s'", a);
        }
        i += takes;
    }
    if (rc == 0 && !path)
        rc = usage_error("%s", "features: no DATA.csv given");
    csv.attribute_columns = attrs;

    seg_dataset *ds = NULL;
    if (rc == 0 && seg_dataset_new(&ds) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_errmsg());
        rc = EXIT_INPUT;
    }
    if (rc == 0 && (seg_dataset_load_csv(ds, path, &csv) != SEG_OK ||
                    seg_dataset_compute_features(ds, &fo) != SEG_OK)) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        rc = EXIT_INPUT;
    }
    if (rc == 0 &&
        seg_dataset_export(ds, format, NULL, 0, write_stdout, NULL) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        rc = EXIT_INPUT;
    }
    if (rc == 0 && fflush(stdout) != 0) {
        perror("segment: stdout");
        rc = EXIT_INPUT;
    }
    seg_dataset_free(ds);
    free(attrs);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("segment %s (library %s)\n", SEG_VERSION_STRING,
               seg_version_string());
        return 0;
    }
    if (strcmp(argv[1], "features") == 0)
        return cmd_features(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", argv[1]);
}
