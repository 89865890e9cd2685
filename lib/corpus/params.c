/* params.c - the model (dedup_params) and the run options, versioned.
 *
 * Growth follows libgit2's option structs: each struct starts with a
 * version, the header's _INIT macro and _init() fill it in, and the
 * library reads the fields that version has, defaulting the rest.  A
 * program built against version 1 keeps working when version 2 appends a
 * field; an opaque handle with setters (zstd's way) would be as safe but
 * makes a dozen calls of one struct literal, and these structs are read
 * once per corpus or run, never on a hot path.
 *
 * Zero means the default in every numeric field, resolved here and
 * nowhere else, so the CLI, the bench and the bindings need no defaults
 * of their own. */
#include "corpus/corpus_private.h"

#include "sketch/minhash.h"

#include <stddef.h>
#include <string.h>

/* The size of each known version's struct: what may be read of a
 * caller's struct of that version.  Index = version.  Version 2 appended
 * story_days, so entry 1 is offsetof(struct, story_days) and sizeof is
 * entry 2; version 3 appends the same way. */
static const size_t params_size[] = {0, offsetof(dedup_params, story_days),
                                     sizeof(dedup_params)};
static const size_t runopts_size[] = {0, sizeof(dedup_run_options)};
#define N_VERSIONS(a) (sizeof(a) / sizeof(a)[0])

DEDUP_API int dedup_params_init(dedup_params *p, unsigned version) {
  if (!p || version == 0 || version >= N_VERSIONS(params_size))
    return DEDUP_EINVAL;
  dedup_params d = DEDUP_PARAMS_INIT;
  memcpy(p, &d, params_size[version]);
  p->version = version;
  return DEDUP_OK;
}

DEDUP_API int dedup_run_options_init(dedup_run_options *o, unsigned version) {
  if (!o || version == 0 || version >= N_VERSIONS(runopts_size))
    return DEDUP_EINVAL;
  dedup_run_options d = DEDUP_RUN_OPTIONS_INIT;
  memcpy(o, &d, runopts_size[version]);
  o->version = version;
  return DEDUP_OK;
}

int dedup__params_resolve(dedup_params *out, const dedup_params *in) {
  dedup_params p = DEDUP_PARAMS_INIT;
  if (in) {
    if (in->version == 0 || in->version >= N_VERSIONS(params_size))
      return DEDUP_EINVAL;
    memcpy(&p, in, params_size[in->version]);
    p.version = DEDUP_PARAMS_VERSION;
  }
  if (!p.shingle_k)
    p.shingle_k = DEDUP__SHINGLE_K;
  if (!p.num_perm)
    p.num_perm = DEDUP__NUM_PERM;
  /* The threshold's default is the method's: 0.5 means nothing to
   * SimHash (32 of 64 bits apart). */
  if (p.threshold == 0)
    p.threshold = p.method == DEDUP_METHOD_SIMHASH ? DEDUP_SIMHASH_THRESHOLD
                                                   : DEDUP_MINHASH_THRESHOLD;
  if (p.story_threshold == 0)
    p.story_threshold = DEDUP_STORY_THRESHOLD;
  /* Negative: no decay, kept as -1 so equal models compare equal. */
  if (p.story_days == 0)
    p.story_days = DEDUP_STORY_DAYS;
  else if (p.story_days < 0)
    p.story_days = -1;
  if (p.shingle_k > 64 || p.num_perm > DEDUP__MINHASH_MAX_K ||
      !(p.story_days <= DEDUP__MAX_STORY_DAYS) || /* NaN too */
      !(p.threshold > 0 && p.threshold <= 1) ||
      !(p.story_threshold > 0 && p.story_threshold <= 1) ||
      (p.method != DEDUP_METHOD_MINHASH && p.method != DEDUP_METHOD_SIMHASH) ||
      (p.minhash_kind != DEDUP_MINHASH_OPH &&
       p.minhash_kind != DEDUP_MINHASH_CLASSIC) ||
      (p.flags & ~(unsigned)(DEDUP_F_NO_CLEAN | DEDUP_F_SPLIT_EMBEDDED |
                              DEDUP_F_NO_LANGID)))
    return DEDUP_EINVAL;
  *out = p;
  return DEDUP_OK;
}

int dedup__runopts_resolve(dedup__runopts *out, const dedup_run_options *in) {
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  if (in) {
    if (in->version == 0 || in->version >= N_VERSIONS(runopts_size))
      return DEDUP_EINVAL;
    memcpy(&o, in, runopts_size[in->version]);
  }
  if (o.threads > DEDUP__MAX_THREADS ||
      (o.levels & ~(unsigned)DEDUP_RUN_ALL))
    return DEDUP_EINVAL;
  out->threads = o.threads ? o.threads : dedup__cpu_count();
  /* The story level stands on the copy level: always computed. */
  out->levels = (o.levels ? o.levels : DEDUP_RUN_ALL) | DEDUP_RUN_COPY;
  out->progress = o.progress;
  out->progress_ctx = o.progress_ctx;
  return DEDUP_OK;
}

int dedup__params_copy_out(dedup_params *out, const dedup_params *p,
                           unsigned version) {
  if (!out || version == 0 || version >= N_VERSIONS(params_size))
    return DEDUP_EINVAL;
  memcpy(out, p, params_size[version]);
  out->version = version;
  return DEDUP_OK;
}

DEDUP_API int dedup_corpus_params(const dedup_corpus *c, dedup_params *out,
                                  unsigned version) {
  if (!c)
    return DEDUP_EINVAL;
  return dedup__params_copy_out(out, &c->p, version);
}
