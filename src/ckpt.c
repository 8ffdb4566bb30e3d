/*
 * ckpt.c — the checkpoint container: writes a header, metadata text and named
 * tensors in the layout of ckpt.h, and reads them back with every size and
 * offset checked against the file before it is used. Integers and floats
 * are encoded little-endian byte by byte, so files move between machines.
 *
 * A reader trusts nothing: the magic says whose file it is, the version
 * whether this build understands it, the sizes in the header must fit the
 * file, the records must lie inside the data blob, and a checksum over the
 * whole file catches flipped bits that the structure checks cannot see.
 */
#include "common.h"
#include "ckpt.h"
#include "io.h"
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

// ----------------------------------------------------------------------------
// Little-endian encoding

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static size_t dtype_size(uint32_t dt) {
    return dt == GRSN_DT_U8 ? 1 : dt == GRSN_DT_F32 || dt == GRSN_DT_I32 ? 4 : 8;
}
static const char *dtype_name(uint32_t dt) {
    return dt == GRSN_DT_F32 ? "f32" : dt == GRSN_DT_I64 ? "i64" : dt == GRSN_DT_U64 ? "u64"
         : dt == GRSN_DT_U8 ? "u8" : dt == GRSN_DT_I32 ? "i32" : dt == GRSN_DT_F64 ? "f64" : "?";
}
static uint64_t round_up(uint64_t x) { return (x + GRSN_CKPT_ALIGN - 1) / GRSN_CKPT_ALIGN * GRSN_CKPT_ALIGN; }

// FNV-1a 64, continued over n more bytes.
#define FNV_OFFSET 14695981039346656037ULL
static uint64_t fnv_update(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return h;
}

uint64_t grsn_fnv1a64(const void *data, size_t n) { return fnv_update(FNV_OFFSET, data, n); }

// count elements of `width` bytes from host order to little-endian, and back.
static void encode(unsigned char *dst, const void *src, size_t count, size_t width) {
    const unsigned char *s = src;
    if (width == 1) { memcpy(dst, s, count); return; }
    for (size_t k = 0; k < count; k++) {
        if (width == 4) { uint32_t bits; memcpy(&bits, s + 4 * k, 4); put_u32(dst + 4 * k, bits); }
        else { uint64_t bits; memcpy(&bits, s + 8 * k, 8); put_u64(dst + 8 * k, bits); }
    }
}
static void decode(void *dst, const unsigned char *src, size_t count, size_t width) {
    unsigned char *d = dst;
    if (width == 1) { memcpy(d, src, count); return; }
    for (size_t k = 0; k < count; k++) {
        if (width == 4) { uint32_t bits = get_u32(src + 4 * k); memcpy(d + 4 * k, &bits, 4); }
        else { uint64_t bits = get_u64(src + 8 * k); memcpy(d + 8 * k, &bits, 8); }
    }
}

// "[128, 40]"
static void shape_text(char *buf, size_t cap, uint32_t ndim, const uint64_t *dims) {
    size_t off = (size_t)snprintf(buf, cap, "[");
    for (uint32_t i = 0; i < ndim && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
}

// ----------------------------------------------------------------------------
// Writing

void grsn_tensor_rec(GrsnTensorRec *r, const char *name, grsn_dtype dt, const void *data,
                     int ndim, const uint64_t *dims) {
    GRSN_ASSERT(ndim >= 1 && ndim <= GRSN_CKPT_MAX_DIMS, "tensor %s: ndim %d", name, ndim);
    GRSN_ASSERT(strlen(name) < sizeof r->name, "tensor name too long: %s", name);
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->dtype = (uint32_t)dt;
    r->ndim = (uint32_t)ndim;
    uint64_t count = 1;
    for (int i = 0; i < ndim; i++) { r->dims[i] = dims[i]; count *= dims[i]; }
    r->nbytes = count * dtype_size(r->dtype);
    r->data = data;
}

// The file on its way to disk, and the checksum of what has gone so far.
typedef struct {
    GrsnAtomicFile af;
    uint64_t hash;
} Out;

static void out_bytes(Out *o, const void *p, size_t n) {
    o->hash = fnv_update(o->hash, p, n);
    fwrite(p, 1, n, o->af.fp);   // a failed write shows in grsn_atomic_commit
}

// One tensor's elements, encoded a block at a time, then its zero padding.
static void out_tensor(Out *o, const GrsnTensorRec *t) {
    static const unsigned char zeros[GRSN_CKPT_ALIGN];
    unsigned char block[1 << 15];
    size_t width = dtype_size(t->dtype), per_block = sizeof block / width;
    GrsnTensorPiece whole = {(void *)t->data, t->nbytes / width};
    const GrsnTensorPiece *pieces = t->n_pieces > 0 ? t->pieces : &whole;
    int n = t->n_pieces > 0 ? t->n_pieces : 1;
    uint64_t count = 0;
    for (int i = 0; i < n; i++) {
        const unsigned char *src = pieces[i].data;
        for (uint64_t done = 0; done < pieces[i].count;) {
            size_t k = (size_t)(pieces[i].count - done < per_block ? pieces[i].count - done : per_block);
            encode(block, src + done * width, k, width);
            out_bytes(o, block, k * width);
            done += k;
        }
        count += pieces[i].count;
    }
    GRSN_ASSERT(count * width == t->nbytes, "tensor %s: pieces of %llu elements for %llu bytes", t->name,
                (unsigned long long)count, (unsigned long long)t->nbytes);
    out_bytes(o, zeros, (size_t)(round_up(t->nbytes) - t->nbytes));
}

grsn_status grsn_ckpt_write(const char *path, uint64_t step, uint64_t env_steps,
                            const char *meta, GrsnTensorRec *recs, int n) {
    size_t meta_len = strlen(meta);
    uint64_t header = round_up(GRSN_CKPT_FIXED_BYTES + meta_len + (uint64_t)n * GRSN_CKPT_RECORD_BYTES);
    if (header > UINT32_MAX) return grsn_fail(GRSN_ERR_ARG, "%s: checkpoint header too large", path);
    uint64_t blob = 0;
    for (int i = 0; i < n; i++) {
        recs[i].offset = blob;
        blob = round_up(blob + recs[i].nbytes);
    }
    unsigned char *head = grsn_calloc((size_t)header, 1);
    if (!head) return GRSN_ERR_OOM;
    memcpy(head, GRSN_CKPT_MAGIC, 4);
    put_u32(head + 4, GRSN_CKPT_VERSION);
    put_u32(head + 8, (uint32_t)header);
    put_u32(head + 12, (uint32_t)n);
    put_u64(head + 16, step);
    put_u64(head + 24, env_steps);
    put_u64(head + 32, meta_len);
    memcpy(head + GRSN_CKPT_FIXED_BYTES, meta, meta_len);
    unsigned char *r = head + GRSN_CKPT_FIXED_BYTES + meta_len;
    for (int i = 0; i < n; i++, r += GRSN_CKPT_RECORD_BYTES) {
        const GrsnTensorRec *t = &recs[i];
        memcpy(r, t->name, sizeof t->name);
        put_u32(r + 64, t->dtype);
        put_u32(r + 68, t->ndim);
        for (int d = 0; d < GRSN_CKPT_MAX_DIMS; d++) put_u64(r + 72 + 8 * d, t->dims[d]);
        put_u64(r + 104, t->offset);
        put_u64(r + 112, t->nbytes);
    }
    Out o = {.hash = FNV_OFFSET};
    grsn_status st = grsn_atomic_open(&o.af, path);
    if (st == GRSN_OK) {
        out_bytes(&o, head, (size_t)header);
        for (int i = 0; i < n; i++) out_tensor(&o, &recs[i]);
        unsigned char sum[8];
        put_u64(sum, o.hash);
        fwrite(sum, 1, sizeof sum, o.af.fp);
        st = grsn_atomic_commit(&o.af);
    }
    free(head);
    return st;
}

// ----------------------------------------------------------------------------
// Reading

static grsn_status bad(GrsnCkptFile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static grsn_status bad(GrsnCkptFile *f, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    grsn_status st = grsn_fail(GRSN_ERR_FORMAT, "%s: %s", f->path, msg);
    grsn_ckpt_close(f);
    return st;
}

// Read the whole file into f->buf.
static grsn_status slurp(GrsnCkptFile *f, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return grsn_fail(GRSN_ERR_IO, "%s: cannot open checkpoint: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        return grsn_fail(GRSN_ERR_IO, "%s: cannot read checkpoint: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > ((uint64_t)1 << 36)) {
        fclose(fp);
        return grsn_fail(GRSN_ERR_FORMAT, "%s: %lld bytes, too large for a grsn checkpoint", path,
                         (long long)sb.st_size);
    }
    f->size = (size_t)sb.st_size;
    f->buf = malloc(f->size ? f->size : 1);
    if (!f->buf) { fclose(fp); return grsn_fail(GRSN_ERR_OOM, "%s: out of memory reading %zu bytes", path, f->size); }
    size_t got = fread(f->buf, 1, f->size, fp);
    int err = ferror(fp);
    fclose(fp);
    if (err || got != f->size) {
        free(f->buf); f->buf = NULL;
        return grsn_fail(GRSN_ERR_IO, "%s: cannot read checkpoint", path);
    }
    return GRSN_OK;
}

grsn_status grsn_ckpt_read(GrsnCkptFile *f, const char *path) {
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    GRSN_TRY(slurp(f, path));
    const unsigned char *b = f->buf;
    size_t size = f->size;

    // Whose file, which version.
    if (size == 0) return bad(f, "empty file, not a grsn checkpoint");
    if (size < 4 || memcmp(b, GRSN_CKPT_MAGIC, 4) != 0) {
        char magic[24] = "";
        for (size_t i = 0; i < 4 && i < size; i++)
            snprintf(magic + strlen(magic), sizeof magic - strlen(magic), "%s%02x", i ? " " : "", b[i]);
        return bad(f, "not a grsn checkpoint (starts with bytes %s, expected \"GRSN\")", magic);
    }
    if (size < GRSN_CKPT_FIXED_BYTES)
        return bad(f, "truncated: %zu bytes, shorter than the %d-byte header", size, GRSN_CKPT_FIXED_BYTES);
    f->version = get_u32(b + 4);
    if (f->version != GRSN_CKPT_VERSION)
        return bad(f, "checkpoint version %u; grsn %s reads version %d", f->version, GRSN_VERSION,
                   GRSN_CKPT_VERSION);

    // The header's sizes must be consistent with each other.
    uint64_t header = get_u32(b + 8), n = get_u32(b + 12);
    f->step = get_u64(b + 16);
    f->env_steps = get_u64(b + 24);
    uint64_t meta_len = get_u64(b + 32);
    if (header % GRSN_CKPT_ALIGN != 0 || header < GRSN_CKPT_FIXED_BYTES)
        return bad(f, "corrupt header: header size %llu is not a multiple of %d", (unsigned long long)header,
                   GRSN_CKPT_ALIGN);
    if (n > (header - GRSN_CKPT_FIXED_BYTES) / GRSN_CKPT_RECORD_BYTES ||
        meta_len > header - GRSN_CKPT_FIXED_BYTES - n * GRSN_CKPT_RECORD_BYTES)
        return bad(f, "corrupt header: %llu tensors and %llu metadata bytes do not fit in %llu header bytes",
                   (unsigned long long)n, (unsigned long long)meta_len, (unsigned long long)header);
    if (size < header + 8)
        return bad(f, "truncated: %zu bytes, the header alone takes %llu", size, (unsigned long long)header);

    // Metadata text.
    const unsigned char *meta = b + GRSN_CKPT_FIXED_BYTES;
    if (memchr(meta, '\0', (size_t)meta_len)) return bad(f, "corrupt header: NUL byte in the metadata text");
    f->meta = malloc((size_t)meta_len + 1);
    f->rec = calloc(n ? (size_t)n : 1, sizeof *f->rec);
    if (!f->meta || !f->rec) {   // not the file's fault: GRSN_ERR_OOM, not a format error
        grsn_status st = grsn_fail(GRSN_ERR_OOM, "%s: out of memory for the index of %llu tensors", f->path,
                                   (unsigned long long)n);
        grsn_ckpt_close(f);
        return st;
    }
    memcpy(f->meta, meta, (size_t)meta_len);
    f->meta[meta_len] = '\0';
    f->meta_len = (size_t)meta_len;

    // Tensor records: names, types, shapes and offsets.
    const unsigned char *r = meta + meta_len;
    uint64_t blob = 0;
    for (uint64_t i = 0; i < n; i++, r += GRSN_CKPT_RECORD_BYTES) {
        GrsnTensorRec *t = &f->rec[i];
        memcpy(t->name, r, sizeof t->name);
        if (!memchr(t->name, '\0', sizeof t->name) || t->name[0] == '\0')
            return bad(f, "corrupt tensor record %llu: bad name", (unsigned long long)i);
        t->dtype = get_u32(r + 64);
        t->ndim = get_u32(r + 68);
        for (int d = 0; d < GRSN_CKPT_MAX_DIMS; d++) t->dims[d] = get_u64(r + 72 + 8 * d);
        t->offset = get_u64(r + 104);
        t->nbytes = get_u64(r + 112);
        if (t->dtype > GRSN_DT_LAST)
            return bad(f, "corrupt tensor record '%s': unknown dtype %u", t->name, t->dtype);
        if (t->ndim < 1 || t->ndim > GRSN_CKPT_MAX_DIMS)
            return bad(f, "corrupt tensor record '%s': %u dimensions", t->name, t->ndim);
        uint64_t count = 1;
        for (uint32_t d = 0; d < t->ndim; d++) {
            if (t->dims[d] == 0 || t->dims[d] > ((uint64_t)1 << 32) || count > ((uint64_t)1 << 40) / t->dims[d])
                return bad(f, "corrupt tensor record '%s': impossible shape", t->name);
            count *= t->dims[d];
        }
        if (t->nbytes != count * dtype_size(t->dtype) || t->offset % GRSN_CKPT_ALIGN != 0 ||
            t->offset > ((uint64_t)1 << 42))
            return bad(f, "corrupt tensor record '%s': size or offset inconsistent with its shape", t->name);
        for (uint64_t j = 0; j < i; j++)
            if (!strcmp(f->rec[j].name, t->name)) return bad(f, "corrupt: tensor '%s' appears twice", t->name);
        if (round_up(t->offset + t->nbytes) > blob) blob = round_up(t->offset + t->nbytes);
    }
    f->n = (int)n;

    // The file must be exactly header + blob + checksum, and the checksum right.
    uint64_t want = header + blob + 8;
    if (size < want)
        return bad(f, "truncated: %zu bytes, the header describes %llu", size, (unsigned long long)want);
    if (size > want)
        return bad(f, "corrupt: %zu bytes, the header describes %llu", size, (unsigned long long)want);
    if (grsn_fnv1a64(b, size - 8) != get_u64(b + size - 8))
        return bad(f, "corrupt: checksum mismatch (the file was damaged)");
    return GRSN_OK;
}

void grsn_ckpt_close(GrsnCkptFile *f) {
    free(f->buf); free(f->meta); free(f->rec);
    f->buf = NULL; f->meta = NULL; f->rec = NULL; f->n = 0; f->size = 0;
}

grsn_status grsn_ckpt_get_pieces(const GrsnCkptFile *f, const char *name, grsn_dtype dt, int ndim,
                                 const uint64_t *dims, const GrsnTensorPiece *pieces, int n) {
    const GrsnTensorRec *t = NULL;
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->rec[i].name, name)) { t = &f->rec[i]; break; }
    if (!t) return grsn_fail(GRSN_ERR_FORMAT, "%s: tensor '%s' is missing", f->path, name);
    char have[96], want[96];
    shape_text(have, sizeof have, t->ndim, t->dims);
    shape_text(want, sizeof want, (uint32_t)ndim, dims);
    int same = t->ndim == (uint32_t)ndim;
    for (int d = 0; same && d < ndim; d++) same = t->dims[d] == dims[d];
    if (!same)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: tensor '%s' has shape %s, the agent expects %s", f->path, name,
                         have, want);
    if (t->dtype != (uint32_t)dt)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: tensor '%s' is %s, expected %s", f->path, name,
                         dtype_name(t->dtype), dtype_name(dt));
    // grsn_ckpt_read checked that the bytes lie inside the file.
    const unsigned char *src = f->buf + get_u32(f->buf + 8) + t->offset;
    size_t width = dtype_size(t->dtype);
    uint64_t count = 0;
    for (int i = 0; i < n; i++) count += pieces[i].count;
    GRSN_ASSERT(count * width == t->nbytes, "tensor %s: pieces of %llu elements for %llu bytes", name,
                (unsigned long long)count, (unsigned long long)t->nbytes);
    for (int i = 0; i < n; i++) {
        decode(pieces[i].data, src, (size_t)pieces[i].count, width);
        src += pieces[i].count * width;
    }
    return GRSN_OK;
}

grsn_status grsn_ckpt_get(const GrsnCkptFile *f, const char *name, grsn_dtype dt, int ndim,
                          const uint64_t *dims, void *dst) {
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++) count *= dims[d];
    GrsnTensorPiece whole = {dst, count};
    return grsn_ckpt_get_pieces(f, name, dt, ndim, dims, &whole, 1);
}
