/*
 * io.h — atomic file writing (temp file, fsync, rename).
 *
 *   GrsnAtomicFile f;
 *   GRSN_TRY(grsn_atomic_open(&f, "run/progress.csv"));
 *   fprintf(f.fp, ...);
 *   GRSN_TRY(grsn_atomic_commit(&f));   // or grsn_atomic_abort(&f) on error
 */
#ifndef GRSN_IO_H
#define GRSN_IO_H

#include "grsn.h"
#include <stdio.h>

typedef struct {
    FILE *fp;          // write here
    char path[1024];   // final name
    char tmp[1040];    // path + ".tmp"
} GrsnAtomicFile;

grsn_status grsn_atomic_open(GrsnAtomicFile *f, const char *path);
grsn_status grsn_atomic_commit(GrsnAtomicFile *f);
void        grsn_atomic_abort(GrsnAtomicFile *f);
grsn_status grsn_write_file_atomic(const char *path, const void *data, size_t n);

// The whole file as a NUL-terminated string (free() it), or NULL (errno set).
char *grsn_read_text(const char *path);

#endif
