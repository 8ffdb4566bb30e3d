/*
 * io.c — atomic file writes: write to "<path>.tmp", fsync, rename over the
 * target, fsync the directory. A killed run never leaves a half-written file
 * under the real name. And whole small files read into memory.
 */
#include "common.h"
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <libgen.h>

grsn_status grsn_atomic_open(GrsnAtomicFile *f, const char *path) {
    memset(f, 0, sizeof *f);
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp", path) >= (int)sizeof f->tmp)
        return grsn_fail(GRSN_ERR_ARG, "path too long: %s", path);
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) return grsn_fail(GRSN_ERR_IO, "cannot write %s: %s", f->tmp, strerror(errno));
    return GRSN_OK;
}

grsn_status grsn_atomic_commit(GrsnAtomicFile *f) {
    int bad = ferror(f->fp) != 0;
    bad |= fflush(f->fp) != 0;
    bad |= fsync(fileno(f->fp)) != 0;
    bad |= fclose(f->fp) != 0;
    f->fp = NULL;
    if (bad) { unlink(f->tmp); return grsn_fail(GRSN_ERR_IO, "cannot write %s: %s", f->path, strerror(errno)); }
    if (rename(f->tmp, f->path) != 0) {
        int e = errno; unlink(f->tmp);
        return grsn_fail(GRSN_ERR_IO, "cannot rename %s to %s: %s", f->tmp, f->path, strerror(e));
    }
    char dir[sizeof f->path];
    memcpy(dir, f->path, sizeof dir);
    int dfd = open(dirname(dir), O_RDONLY);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return GRSN_OK;
}

void grsn_atomic_abort(GrsnAtomicFile *f) {
    if (f->fp) { fclose(f->fp); f->fp = NULL; unlink(f->tmp); }
}

grsn_status grsn_write_file_atomic(const char *path, const void *data, size_t n) {
    GrsnAtomicFile f;
    GRSN_TRY(grsn_atomic_open(&f, path));
    if (fwrite(data, 1, n, f.fp) != n) {
        grsn_atomic_abort(&f);
        return grsn_fail(GRSN_ERR_IO, "cannot write %s", path);
    }
    return grsn_atomic_commit(&f);
}

char *grsn_read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) { free(buf); buf = NULL; break; }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}
