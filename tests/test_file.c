/* Files written by the library (exports, saved models): whole or not at
 * all, through links, keeping modes, never replacing a device. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segment.h>

#include "testutil.h"

static char dir[256];

static seg_dataset *tiny(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"a", "b"};
    int64_t t[] = {0, 86400};
    double am[] = {10, 20};
    assert_ok(seg_dataset_add_transactions(ds, ids, t, am, 2));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    return ds;
}

/* A path in the test's folder; four at a time may be in use. */
static char *path_of(const char *name)
{
    static char p[4][512];
    static int next;
    char *r = p[next++ % 4];
    snprintf(r, sizeof p[0], "%s/%s", dir, name);
    return r;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *s = calloc(1, 1 << 16);
    size_t n = fread(s, 1, (1 << 16) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void spit(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

/* The export's bytes, written through the callback API. */
static char *expected(seg_dataset *ds)
{
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    return s;
}

/* Only the names the test made are in the folder: no temporary left. */
static void assert_entries(size_t want)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if (strstr(e->d_name, ".tmp"))
                fail_msg("temporary file left: %s", e->d_name);
            n++;
        }
    closedir(d);
    assert_int_equal(n, want);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/seg-file-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(path_of(e->d_name));
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

static void test_modes(void **state)
{
    (void)state;
    seg_dataset *ds = tiny();
    char *want = expected(ds);
    struct stat st;
    mode_t old = umask(077);
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("private.csv")));
    umask(022);
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("shared.csv")));
    assert_ok(stat(path_of("private.csv"), &st));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_ok(stat(path_of("shared.csv"), &st));
    assert_int_equal(st.st_mode & 0777, 0644);
    /* an existing file keeps its mode, whatever the umask */
    assert_ok(chmod(path_of("shared.csv"), 0640));
    umask(0);
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("shared.csv")));
    assert_ok(stat(path_of("shared.csv"), &st));
    assert_int_equal(st.st_mode & 0777, 0640);
    umask(old);
    char *got = slurp(path_of("shared.csv"));
    assert_string_equal(got, want);
    free(got);
    assert_entries(2);
    free(want);
    seg_dataset_free(ds);
}

static void test_symlink_followed(void **state)
{
    (void)state;
    seg_dataset *ds = tiny();
    char *want = expected(ds);
    spit(path_of("target.csv"), "old\n");
    assert_ok(symlink("target.csv", path_of("link.csv")));
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("link.csv")));
    struct stat st;
    assert_ok(lstat(path_of("link.csv"), &st));
    assert_true(S_ISLNK(st.st_mode));
    char *got = slurp(path_of("target.csv"));
    assert_string_equal(got, want);
    free(got);
    /* a dangling link: its target is created */
    assert_ok(symlink("made.csv", path_of("dangling.csv")));
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("dangling.csv")));
    got = slurp(path_of("made.csv"));
    assert_string_equal(got, want);
    free(got);
    assert_entries(4);
    free(want);
    seg_dataset_free(ds);
}

static void test_hard_links_kept(void **state)
{
    (void)state;
    seg_dataset *ds = tiny();
    char *want = expected(ds);
    spit(path_of("one.csv"), "old\n");
    assert_ok(link(path_of("one.csv"), path_of("two.csv")));
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                      path_of("one.csv")));
    struct stat a, b;
    assert_ok(stat(path_of("one.csv"), &a));
    assert_ok(stat(path_of("two.csv"), &b));
    assert_true(a.st_ino == b.st_ino);
    assert_int_equal(a.st_nlink, 2);
    char *got = slurp(path_of("two.csv"));
    assert_string_equal(got, want);
    free(got);
    assert_entries(2);
    free(want);
    seg_dataset_free(ds);
}

typedef struct drain_job {
    const char *path; /* made before the thread starts: path_of is not
                       * for two threads */
    char *got;
} drain_job;

static void *drain(void *arg)
{
    drain_job *j = arg;
    j->got = slurp(j->path);
    return NULL;
}

static void test_fifo_written_through(void **state)
{
    (void)state;
    seg_dataset *ds = tiny();
    char *want = expected(ds);
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s", path_of("fifo"));
    assert_ok(mkfifo(fifo, 0600));
    drain_job j = {fifo, NULL};
    pthread_t t;
    assert_ok(pthread_create(&t, NULL, drain, &j));
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0, fifo));
    pthread_join(t, NULL);
    char *got = j.got;
    struct stat st;
    assert_ok(lstat(path_of("fifo"), &st));
    assert_true(S_ISFIFO(st.st_mode));
    assert_string_equal(got, want);
    free(got);
    assert_entries(1);
    free(want);
    seg_dataset_free(ds);
}

static void test_failure_changes_nothing(void **state)
{
    (void)state;
    seg_dataset *ds = tiny();
    spit(path_of("keep.csv"), "old\n");
    const char *cols[] = {"no_such_column"};
    assert_int_equal(seg_dataset_export_file(ds, SEG_FORMAT_CSV, cols, 1,
                                             path_of("keep.csv")),
                     SEG_ENOTFOUND);
    char *got = slurp(path_of("keep.csv"));
    assert_string_equal(got, "old\n");
    free(got);
    assert_int_equal(seg_dataset_export_file(ds, SEG_FORMAT_CSV, cols, 1,
                                             path_of("new.csv")),
                     SEG_ENOTFOUND);
    assert_int_equal(access(path_of("new.csv"), F_OK), -1);
    /* a folder is not replaced */
    assert_ok(mkdir(path_of("sub"), 0700));
    assert_int_equal(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                             path_of("sub")),
                     SEG_EIO);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "directory"));
    rmdir(path_of("sub"));
    /* a folder that does not exist */
    assert_int_equal(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                             path_of("none/x.csv")),
                     SEG_EIO);
    assert_entries(1);
    seg_dataset_free(ds);
}

static int produce_hello(seg_write_fn write, void *wu, void *user)
{
    const char *s = user;
    return write(s, strlen(s), wu) ? SEG_EIO : SEG_OK;
}

static int produce_half_then_fail(seg_write_fn write, void *wu, void *user)
{
    (void)user;
    write("half", 4, wu);
    return SEG_EPARSE;
}

static int produce_positive(seg_write_fn write, void *wu, void *user)
{
    (void)user;
    write("x", 1, wu);
    return 3;
}

static void test_host_files(void **state)
{
    (void)state;
    assert_ok(seg_file_write(path_of("host.txt"), produce_hello, "hello\n"));
    char *got = slurp(path_of("host.txt"));
    assert_string_equal(got, "hello\n");
    free(got);
    /* a producer's error leaves the old file, and its code comes back */
    assert_int_equal(seg_file_write(path_of("host.txt"),
                                    produce_half_then_fail, NULL),
                     SEG_EPARSE);
    assert_int_equal(seg_file_write(path_of("host.txt"), produce_positive,
                                    NULL),
                     SEG_EIO);
    assert_non_null(strstr(seg_errmsg(), "producer"));
    got = slurp(path_of("host.txt"));
    assert_string_equal(got, "hello\n");
    free(got);
    assert_int_equal(seg_file_write(NULL, produce_hello, ""), SEG_EINVAL);
    assert_int_equal(seg_file_write(path_of("x"), NULL, NULL), SEG_EINVAL);
    assert_entries(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_followed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hard_links_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fifo_written_through, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_host_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
