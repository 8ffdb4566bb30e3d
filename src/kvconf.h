/*
 * kvconf.h — key=value configuration text driven by a table of typed fields.
 *
 * A training run's configuration is a C struct; its text form is one
 * "key=value" line per field. A table of GrsnKvField names each key, its
 * kind and where the field sits in the struct, and drives both directions:
 *
 *   static const GrsnKvField KEYS[] = {
 *       {.key = "seed", .kind = GRSN_KV_U64, .off = offsetof(Cfg, seed)},
 *       {.key = "cell.reset", .kind = GRSN_KV_ENUM, .off = offsetof(Cfg, cell.reset),
 *        .names = GRSN_KV_RESET_NAMES},
 *   };
 *   off = grsn_kv_append_fields(buf, cap, off, &cfg, KEYS, NKEYS);        // writing
 *   GRSN_TRY(grsn_kv_parse(&cfg, KEYS, NKEYS, text, len, skip, NULL, NULL));   // reading
 *
 * Floats are written with 9 and doubles with 17 significant digits, so every
 * value reads back exactly. Reading reports the line number of a malformed
 * line, a bad value or an unknown key, each as GRSN_ERR_FORMAT.
 */
#ifndef GRSN_KVCONF_H
#define GRSN_KVCONF_H

#include "grsn.h"
#include <stddef.h>

typedef enum {
    GRSN_KV_STR,      // char array of .size bytes
    GRSN_KV_U64,      // uint64_t
    GRSN_KV_LONG,     // long
    GRSN_KV_INT,      // int
    GRSN_KV_FLOAT,    // float, written "%.9g"
    GRSN_KV_DOUBLE,   // double, written "%.17g"
    GRSN_KV_ENUM,     // an enum (stored as an int) written as .names[value]
} grsn_kv_kind;

typedef struct {
    const char *key;
    grsn_kv_kind kind;
    size_t off;                  // offsetof the field in the configuration struct
    int tag;                     // free for the table's owner
    const char *const *names;    // GRSN_KV_ENUM: the name of each value, NULL-terminated
    size_t size;                 // GRSN_KV_STR: the size of the char array
} GrsnKvField;

// The names of the control agents' algorithms and networks (grsn_algo,
// grsn_net) and of the neuron's enumerated options (grsn_beta_mode,
// grsn_reset_mode, grsn_decode, ...), for GRSN_KV_ENUM fields. Each is
// NULL-terminated, in the enum's order.
extern const char *const GRSN_KV_ALGO_NAMES[];    // grsn_algo
extern const char *const GRSN_KV_NET_NAMES[];     // grsn_net
extern const char *const GRSN_KV_BETA_NAMES[];
extern const char *const GRSN_KV_RESET_NAMES[];
extern const char *const GRSN_KV_DECODE_NAMES[];
extern const char *const GRSN_KV_GATES_NAMES[];   // grsn_gate_source
extern const char *const GRSN_KV_READOUT_NAMES[]; // grsn_readout

// Index of `s` in a NULL-terminated name table, or -1.
int grsn_kv_name_index(const char *const *names, const char *s);

// snprintf appending at buf[off]; returns the length the text would have,
// so a result >= cap means it did not fit (nothing is written past cap).
size_t grsn_kv_append(char *buf, size_t cap, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// The value of one field of `obj` as text.
void grsn_kv_value(const void *obj, const GrsnKvField *f, char *out, size_t cap);

// Set one field of `obj` from its text value. 0 on success, -1 if the value is bad.
int grsn_kv_set(void *obj, const GrsnKvField *f, const char *value);

// Append "key=value\n" for every field, then the keys that describe the
// file rather than the run (float_type=f32, endianness=little).
size_t grsn_kv_append_fields(char *buf, size_t cap, size_t off, const void *obj, const GrsnKvField *fields,
                             int n);
size_t grsn_kv_append_info(char *buf, size_t cap, size_t off);

// Split the next line of text[*pos..len) into key and value (trimmed, in
// the caller's buffer). Returns 0 at the end, 1 for a key=value line, 2 for
// a blank or comment line, -1 for a malformed line.
int grsn_kv_next_line(const char *text, size_t len, size_t *pos, char *line, size_t cap, char **key,
                      char **value);

// The value of the first line setting `key`, trimmed, into out. 1 if found.
int grsn_kv_find(const char *text, size_t len, const char *key, char *out, size_t cap);

// Takes a key the table does not hold: 1 if taken, 0 if not its key, -1 for a bad value.
typedef int (*grsn_kv_extra_fn)(void *ctx, const char *key, const char *value);

// Set `obj`'s fields from every key=value line of the text. Keys in the
// NULL-terminated `skip` list are passed over; float_type and endianness
// must hold this build's values; then `extra` (if any) may take a key before
// the table does. Any other key is an error.
grsn_status grsn_kv_parse(void *obj, const GrsnKvField *fields, int n, const char *text, size_t len,
                          const char *const *skip, grsn_kv_extra_fn extra, void *ctx);

// Re-raise the current error message as status `s`, prefixed with the
// formatted text: "<prefix><message>".
grsn_status grsn_kv_refail(grsn_status s, const char *prefix_fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
