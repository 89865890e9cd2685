/* cli_args.c - dedup-cluster's options: getopt_long (glibc), so options
 * may follow the files, take "--opt=value", bundle ("-rq0") and end at
 * "--".  Numbers are decimal only and checked whole; an option that takes
 * one value may be repeated only with the same value; an unknown option is
 * answered with the nearest known one. */
#define _GNU_SOURCE /* getopt_long, getdelim */
#include "cli_args.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get values past any char. */
enum {
  OPT_FORMAT = 256,
  OPT_ALL,
  OPT_LEVEL,
  OPT_SPLIT,
  OPT_THRESHOLD,
  OPT_STORY_THRESHOLD,
  OPT_STORY_DAYS,
  OPT_METHOD,
  OPT_SHINGLE,
  OPT_PERMS,
  OPT_CLASSIC,
  OPT_NO_CLEAN,
  OPT_SEED,
  OPT_EXPLAIN,
  OPT_LOAD,
  OPT_SAVE,
  OPT_THREADS,
  OPT_VERSION,
  OPT_SHOW_TEXT,
  OPT_JSONL, /* repeatable: not in the given-twice check */
  OPT_ID_FIELD,
  OPT_TEXT_FIELD,
  OPT_TITLE_FIELD,
  OPT_DATE_FIELD,
  OPT_LANG_FIELD,
  OPT_LANG,
  OPT_NO_LANGID,
  OPT_INDEX,
  OPT_KEEP_TEXTS,
  OPT_DEFER,
  OPT_REBUILD,
  OPT_COMPACT,
  OPT_SYNC,
  OPT_REPLACE,
  OPT_LIST,
  OPT_QUERY,
  OPT_EXPIRE,
  OPT_REMOVE, /* repeatable: not in the given-twice check */
  OPT_END
};

static const struct option longopts[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"all", no_argument, NULL, OPT_ALL},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"split-embedded", no_argument, NULL, OPT_SPLIT},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"story-threshold", required_argument, NULL, OPT_STORY_THRESHOLD},
    {"story-days", required_argument, NULL, OPT_STORY_DAYS},
    {"method", required_argument, NULL, OPT_METHOD},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"perms", required_argument, NULL, OPT_PERMS},
    {"classic", no_argument, NULL, OPT_CLASSIC},
    {"no-clean", no_argument, NULL, OPT_NO_CLEAN},
    {"seed", required_argument, NULL, OPT_SEED},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"load", required_argument, NULL, OPT_LOAD},
    {"save", required_argument, NULL, OPT_SAVE},
    {"recursive", no_argument, NULL, 'r'},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"quiet", no_argument, NULL, 'q'},
    {"null", no_argument, NULL, '0'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"show-text", no_argument, NULL, OPT_SHOW_TEXT},
    {"jsonl", required_argument, NULL, OPT_JSONL},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"title-field", required_argument, NULL, OPT_TITLE_FIELD},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"lang-field", required_argument, NULL, OPT_LANG_FIELD},
    {"lang", required_argument, NULL, OPT_LANG},
    {"no-langid", no_argument, NULL, OPT_NO_LANGID},
    {"index", required_argument, NULL, OPT_INDEX},
    {"keep-texts", no_argument, NULL, OPT_KEEP_TEXTS},
    {"defer", no_argument, NULL, OPT_DEFER},
    {"rebuild", no_argument, NULL, OPT_REBUILD},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"sync", no_argument, NULL, OPT_SYNC},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"list", no_argument, NULL, OPT_LIST},
    {"query", no_argument, NULL, OPT_QUERY},
    {"expire", required_argument, NULL, OPT_EXPIRE},
    {"remove", required_argument, NULL, OPT_REMOVE},
    {NULL, 0, NULL, 0}};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void say(char *msg, size_t len, const char *fmt, ...);
static void say(char *msg, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, len, fmt, ap);
  va_end(ap);
}

static const char *long_name(int val) {
  for (const struct option *lo = longopts; lo->name; lo++)
    if (lo->val == val)
      return lo->name;
  return "?";
}

/* Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours, the commonest typo: --fromat).  Names are short; longer
 * input is cut, which only makes a suggestion less likely. */
#define DIST_MAX 32
static size_t osa_distance(const char *a, size_t la, const char *b) {
  size_t lb = strlen(b);
  if (la > DIST_MAX)
    la = DIST_MAX;
  if (lb > DIST_MAX)
    lb = DIST_MAX;
  size_t d[DIST_MAX + 1][DIST_MAX + 1];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t v = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < v)
        v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v)
        v = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[la][lb];
}

/* "--name[=value]" (or "-name"): the option meant, or NULL.  Within two
 * edits, and fewer edits than the name has letters. */
static const char *nearest(const char *arg) {
  while (*arg == '-')
    arg++;
  size_t len = strcspn(arg, "=");
  const char *best = NULL;
  size_t best_d = 3;
  for (const struct option *lo = longopts; lo->name; lo++) {
    size_t d = osa_distance(arg, len, lo->name);
    if (d < best_d && d < len) {
      best_d = d;
      best = lo->name;
    }
  }
  return best;
}

/* How many long options start with the name in arg ("--s=1" -> "s"). */
static int prefix_matches(const char *arg, char *list, size_t list_len) {
  while (*arg == '-')
    arg++;
  size_t len = strcspn(arg, "=");
  int n = 0;
  list[0] = '\0';
  for (const struct option *lo = longopts; lo->name; lo++)
    if (!strncmp(lo->name, arg, len)) {
      size_t used = strlen(list);
      snprintf(list + used, list_len - used, "%s'--%s'", n ? ", " : "",
               lo->name);
      n++;
    }
  return n;
}

/* Decimal digits only: no sign (strtoull would wrap "-1"), no space, no
 * "0x", and a leading zero is not octal ("010" is ten). */
static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (*s < '0' || *s > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max)
    return -1;
  *out = (uint64_t)v;
  return 0;
}

static int parse_unsigned(const char *s, unsigned min, unsigned max,
                          unsigned *out) {
  uint64_t v;
  if (parse_u64(s, max, &v) || v < min)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* A decimal number in (0, max]: no "nan", "inf", hex or spaces. */
static int parse_decimal(const char *s, double max, double *out) {
  if (!((*s >= '0' && *s <= '9') || *s == '.') ||
      s[strspn(s, "0123456789.eE+-")] != '\0')
    return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || !(v > 0 && v <= max))
    return -1;
  *out = v;
  return 0;
}

/* A fraction in (0, 1]. */
static int parse_unit(const char *s, double *out) {
  return parse_decimal(s, 1, out);
}

/* --story-days: "off" (time ignored: -1) or decimal days in (0, 1e6]. */
static int parse_days(const char *s, double *out) {
  if (!strcmp(s, "off")) {
    *out = -1;
    return 0;
  }
  return parse_decimal(s, 1e6, out);
}

/* The CLI_P_* bit of a matching option. */
static unsigned param_bit(int c) {
  switch (c) {
  case OPT_THRESHOLD:
    return CLI_P_THRESHOLD;
  case OPT_STORY_THRESHOLD:
    return CLI_P_STORY_THRESHOLD;
  case OPT_STORY_DAYS:
    return CLI_P_STORY_DAYS;
  case OPT_METHOD:
    return CLI_P_METHOD;
  case OPT_SHINGLE:
    return CLI_P_SHINGLE;
  case OPT_PERMS:
    return CLI_P_PERMS;
  case OPT_SEED:
    return CLI_P_SEED;
  case OPT_CLASSIC:
    return CLI_P_CLASSIC;
  case OPT_NO_CLEAN:
    return CLI_P_NO_CLEAN;
  case OPT_SPLIT:
    return CLI_P_SPLIT;
  default:
    return CLI_P_NO_LANGID;
  }
}

/* The service options given without --index (or the first of them), and
 * their combinations: a usage error in msg, or 0. */
static int check_index_opts(const cli_opts *o, const char *svc_opt,
                            int level_given, char *msg, size_t msg_len) {
  if (!o->index) {
    if (svc_opt) {
      say(msg, msg_len, "--%s goes with --index PATH", svc_opt);
      return -1;
    }
    return 0;
  }
  const char *clash = o->load      ? "load"
                      : o->save    ? "save"
                      : o->explain[0] ? "explain"
                      : o->all     ? "all"
                      : level_given ? "level"
                      : (o->param_given & CLI_P_SPLIT) ? "split-embedded"
                                                        : NULL;
  if (clash) {
    say(msg, msg_len, "--%s does not go with --index (a service index "
        "is opened, added to and saved in place; it lists documents, not "
        "clusters)", clash);
    return -1;
  }
  if (o->query) {
    clash = o->list         ? "list"
            : o->n_remove   ? "remove"
            : o->expire     ? "expire"
            : o->defer      ? "defer"
            : o->rebuild    ? "rebuild"
            : o->compact    ? "compact"
            : o->sync       ? "sync"
            : o->replace    ? "replace"
            : o->keep_texts ? "keep-texts"
                            : NULL;
    if (clash) {
      say(msg, msg_len, "--%s does not go with --query (a query changes "
          "nothing and prints what each document would get)", clash);
      return -1;
    }
    if (!o->n_files && !o->n_jsonl) {
      say(msg, msg_len, "--query needs documents (FILE... or --jsonl)");
      return -1;
    }
  }
  return 0;
}

int cli_parse(cli_opts *o, int argc, char **argv, char *msg, size_t msg_len) {
  memset(o, 0, sizeof *o);
  dedup_params_init(&o->p, DEDUP_PARAMS_VERSION);
  dedup_run_options_init(&o->ro, DEDUP_RUN_OPTIONS_VERSION);
  o->level = DEDUP_LEVEL_STORY;
  o->id_field = "id";
  o->text_field = "text";
  o->title_field = "title";
  o->date_field = "date";
  o->lang_field = "lang";
  const char *field_opt = NULL; /* the first --*-field given */
  const char *svc_opt = NULL;   /* the first option that needs --index */
  int level_given = 0;
  msg[0] = '\0';
  /* Values seen per option, to refuse a second, different one: a second
   * --load or --save silently winning loses data. */
  const char *seen[OPT_END - OPT_FORMAT] = {0};
  opterr = 0;
  optind = 0; /* glibc: 0 re-initialises, a fresh parse each call */
  int c;
  while ((c = getopt_long(argc, argv, ":rqh0", longopts, NULL)) != -1) {
    const char *v = optarg;
    if (c >= OPT_FORMAT && c < OPT_END && c != OPT_JSONL &&
        c != OPT_REMOVE && v) {
      const char **s = &seen[c - OPT_FORMAT];
      if (*s && strcmp(*s, v)) {
        say(msg, msg_len, "--%s given twice, as '%s' and '%s'",
            long_name(c), *s, v);
        return -1;
      }
      *s = v;
    }
    switch (c) {
    case OPT_METHOD:
    case OPT_THRESHOLD:
    case OPT_STORY_THRESHOLD:
    case OPT_STORY_DAYS:
    case OPT_SHINGLE:
    case OPT_PERMS:
    case OPT_SEED:
    case OPT_CLASSIC:
    case OPT_NO_CLEAN:
    case OPT_SPLIT:
    case OPT_NO_LANGID:
      if (!o->param_opt)
        o->param_opt = long_name(c);
      o->param_given |= param_bit(c);
      break;
    default:
      break;
    }
    switch (c) {
    case 'h':
      o->help = 1;
      return 0;
    case OPT_VERSION:
      o->version = 1;
      return 0;
    case OPT_FORMAT:
      if (!strcmp(v, "text"))
        o->format = CLI_FMT_TEXT;
      else if (!strcmp(v, "tsv"))
        o->format = CLI_FMT_TSV;
      else if (!strcmp(v, "json"))
        o->format = CLI_FMT_JSON;
      else {
        say(msg, msg_len, "unknown format: %s (text, tsv or json)", v);
        return -1;
      }
      break;
    case OPT_LEVEL:
      level_given = 1;
      if (!strcmp(v, "story"))
        o->level = DEDUP_LEVEL_STORY;
      else if (!strcmp(v, "copy"))
        o->level = DEDUP_LEVEL_COPY;
      else {
        say(msg, msg_len, "unknown level: %s (story or copy)", v);
        return -1;
      }
      break;
    case OPT_METHOD:
      if (!strcmp(v, "minhash"))
        o->p.method = DEDUP_METHOD_MINHASH;
      else if (!strcmp(v, "simhash"))
        o->p.method = DEDUP_METHOD_SIMHASH;
      else {
        say(msg, msg_len, "unknown method: %s (minhash or simhash)", v);
        return -1;
      }
      break;
    case OPT_THRESHOLD:
      if (parse_unit(v, &o->p.threshold)) {
        say(msg, msg_len, "threshold must be a decimal number in (0, 1]: %s",
            v);
        return -1;
      }
      break;
    case OPT_STORY_THRESHOLD:
      if (parse_unit(v, &o->p.story_threshold)) {
        say(msg, msg_len,
            "story threshold must be a decimal number in (0, 1]: %s", v);
        return -1;
      }
      break;
    case OPT_STORY_DAYS:
      if (parse_days(v, &o->p.story_days)) {
        say(msg, msg_len,
            "story days must be 'off' or a decimal number in (0, 1e6]: %s",
            v);
        return -1;
      }
      break;
    case OPT_SHINGLE:
      if (parse_unsigned(v, 1, 64, &o->p.shingle_k)) {
        say(msg, msg_len, "shingle size must be 1..64 (decimal): %s", v);
        return -1;
      }
      break;
    case OPT_PERMS:
      if (parse_unsigned(v, 1, 4096, &o->p.num_perm)) {
        say(msg, msg_len, "perms must be 1..4096 (decimal): %s", v);
        return -1;
      }
      break;
    case OPT_THREADS:
      if (parse_unsigned(v, 0, 1024, &o->ro.threads)) {
        say(msg, msg_len, "threads must be 0..1024 (decimal): %s", v);
        return -1;
      }
      break;
    case OPT_SEED:
      if (parse_u64(v, UINT64_MAX, &o->p.seed)) {
        say(msg, msg_len, "seed must be a decimal number 0..%llu: %s",
            (unsigned long long)UINT64_MAX, v);
        return -1;
      }
      break;
    case OPT_CLASSIC:
      o->p.minhash_kind = DEDUP_MINHASH_CLASSIC;
      break;
    case OPT_NO_CLEAN:
      o->p.flags |= DEDUP_F_NO_CLEAN;
      break;
    case OPT_SPLIT:
      o->p.flags |= DEDUP_F_SPLIT_EMBEDDED;
      break;
    case OPT_NO_LANGID:
      o->p.flags |= DEDUP_F_NO_LANGID;
      break;
    case OPT_LANG:
      if (!(o->lang = dedup_lang_code(v)) || !strcmp(o->lang, "und")) {
        say(msg, msg_len,
            "unknown language: %s (an ISO 639 code such as de or deu, or "
            "a name such as german)",
            v);
        return -1;
      }
      break;
    case OPT_EXPLAIN:
      /* Two files: A is the option's value, B the next argument, which
       * must not look like an option (name a file "-x" as ./-x). */
      if (optind >= argc || !*argv[optind] ||
          (argv[optind][0] == '-' && argv[optind][1])) {
        say(msg, msg_len, "--explain needs two files: --explain A B");
        return -1;
      }
      if (o->explain[1] && strcmp(o->explain[1], argv[optind])) {
        say(msg, msg_len, "--explain given twice, as '%s %s' and '%s %s'",
            o->explain[0], o->explain[1], v, argv[optind]);
        return -1;
      }
      o->explain[0] = v;
      o->explain[1] = argv[optind++];
      break;
    case OPT_LOAD:
    case OPT_SAVE:
      if (!*v) {
        say(msg, msg_len, "empty index file name: --%s", long_name(c));
        return -1;
      }
      if (c == OPT_LOAD)
        o->load = v;
      else
        o->save = v;
      break;
    case OPT_JSONL:
      if (!*v) {
        say(msg, msg_len, "empty file name: --jsonl");
        return -1;
      }
      if (o->n_jsonl == CLI_JSONL_MAX) {
        say(msg, msg_len, "--jsonl given more than %d times", CLI_JSONL_MAX);
        return -1;
      }
      for (int i = 0; i < o->n_jsonl; i++)
        if (!strcmp(o->jsonl[i], v)) {
          say(msg, msg_len, "--jsonl %s given twice", v);
          return -1;
        }
      o->jsonl[o->n_jsonl++] = v;
      break;
    case OPT_ID_FIELD:
    case OPT_TEXT_FIELD:
    case OPT_TITLE_FIELD:
    case OPT_DATE_FIELD:
    case OPT_LANG_FIELD:
      if (!*v) {
        say(msg, msg_len, "empty member name: --%s", long_name(c));
        return -1;
      }
      if (!field_opt)
        field_opt = long_name(c);
      if (c == OPT_ID_FIELD)
        o->id_field = v;
      else if (c == OPT_TEXT_FIELD)
        o->text_field = v;
      else if (c == OPT_TITLE_FIELD)
        o->title_field = v;
      else if (c == OPT_LANG_FIELD)
        o->lang_field = v;
      else
        o->date_field = v;
      break;
    case OPT_ALL:
      o->all = 1;
      break;
    case OPT_INDEX:
      if (!*v) {
        say(msg, msg_len, "empty index file name: --index");
        return -1;
      }
      o->index = v;
      break;
    case OPT_KEEP_TEXTS:
    case OPT_DEFER:
    case OPT_REBUILD:
    case OPT_COMPACT:
    case OPT_SYNC:
    case OPT_REPLACE:
    case OPT_LIST:
    case OPT_QUERY:
    case OPT_EXPIRE:
    case OPT_REMOVE:
      if (!svc_opt)
        svc_opt = long_name(c);
      if (c == OPT_KEEP_TEXTS)
        o->keep_texts = 1;
      else if (c == OPT_DEFER)
        o->defer = 1;
      else if (c == OPT_REBUILD)
        o->rebuild = 1;
      else if (c == OPT_COMPACT)
        o->compact = 1;
      else if (c == OPT_SYNC)
        o->sync = 1;
      else if (c == OPT_REPLACE)
        o->replace = 1;
      else if (c == OPT_LIST)
        o->list = 1;
      else if (c == OPT_QUERY)
        o->query = 1;
      else if (c == OPT_EXPIRE) {
        if (dedup_date_parse(v, strlen(v), &o->expire_at) != DEDUP_OK) {
          say(msg, msg_len, "--expire needs a date (ISO 8601, as "
              "2024-05-01 or 2024-05-01T12:00:00Z, or Unix seconds): %s",
              v);
          return -1;
        }
        o->expire = v;
      } else {
        if (!*v) {
          say(msg, msg_len, "empty id: --remove");
          return -1;
        }
        if (o->n_remove == CLI_REMOVE_MAX) {
          say(msg, msg_len, "--remove given more than %d times",
              CLI_REMOVE_MAX);
          return -1;
        }
        for (int i = 0; i < o->n_remove; i++)
          if (!strcmp(o->remove[i], v)) {
            say(msg, msg_len, "--remove %s given twice", v);
            return -1;
          }
        o->remove[o->n_remove++] = v;
      }
      break;
    case OPT_SHOW_TEXT:
      o->show_text = 1;
      break;
    case 'q':
      o->quiet = 1;
      break;
    case 'r':
      o->recursive = 1;
      break;
    case '0':
      o->null_sep = 1;
      break;
    case ':':
      if (optopt >= OPT_FORMAT)
        say(msg, msg_len, "option '--%s' needs a value", long_name(optopt));
      else
        say(msg, msg_len, "option '-%c' needs a value", optopt);
      return -1;
    default: { /* '?' */
      if (optopt >= OPT_FORMAT || (optopt && optind > 0 &&
                                   optind <= argc &&
                                   !strncmp(argv[optind - 1], "--", 2))) {
        say(msg, msg_len, "option '--%s' takes no value",
            long_name(optopt));
        return -1;
      }
      if (optopt) {
        say(msg, msg_len, "unknown option '-%c'", optopt);
        return -1;
      }
      const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
      char list[512];
      if (prefix_matches(arg, list, sizeof list) > 1) {
        say(msg, msg_len, "option '%.*s' is ambiguous; it could be %s",
            (int)strcspn(arg, "="), arg, list);
        return -1;
      }
      const char *near = nearest(arg);
      if (near)
        say(msg, msg_len, "unknown option '%.*s'; did you mean '--%s'?",
            (int)strcspn(arg, "="), arg, near);
      else
        say(msg, msg_len, "unknown option '%.*s'", (int)strcspn(arg, "="),
            arg);
      return -1;
    }
    }
  }
  o->files = argv + optind;
  o->n_files = argc - optind;
  if (o->load && o->param_opt) {
    say(msg, msg_len,
        "--%s cannot be used with --load: the index fixes the parameters it "
        "was saved with",
        o->param_opt);
    return -1;
  }
  if (o->n_jsonl && o->n_files) {
    say(msg, msg_len, "--jsonl cannot be combined with FILE operands (%s): "
        "give the documents one way", o->files[0]);
    return -1;
  }
  if (field_opt && !o->n_jsonl) {
    say(msg, msg_len, "--%s goes with --jsonl FILE", field_opt);
    return -1;
  }
  if (!strcmp(o->id_field, o->text_field)) {
    say(msg, msg_len, "--id-field and --text-field name one member: %s",
        o->id_field);
    return -1;
  }
  if (check_index_opts(o, svc_opt, level_given, msg, msg_len))
    return -1;
  if (!o->n_files && !o->n_jsonl && !o->explain[0] && !o->load &&
      !o->index) {
    say(msg, msg_len, "no input files");
    return -1;
  }
  if (o->show_text && !o->explain[0]) {
    say(msg, msg_len, "--show-text goes with --explain A B");
    return -1;
  }
  if (o->explain[0] && o->format == CLI_FMT_TSV) {
    say(msg, msg_len, "--explain prints text or json");
    return -1;
  }
  return 0;
}

int cli_paths_push(cli_paths *ps, const char *s) {
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 64;
    char **nv = realloc(ps->v, cap * sizeof *nv);
    if (!nv)
      return -1;
    ps->v = nv;
    ps->cap = cap;
  }
  if (!(ps->v[ps->n] = strdup(s)))
    return -1;
  ps->n++;
  return 0;
}

int cli_read_list(cli_paths *ps, FILE *in, int nul) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = 0;
  while (rc == 0 && (n = getdelim(&line, &cap, nul ? '\0' : '\n', in)) >= 0) {
    if (nul) {
      /* getdelim keeps the NUL; a name holds no NUL of its own. */
      if (n > 0 && line[n - 1] == '\0')
        n--;
      line[n] = '\0';
      n = (ssize_t)strlen(line); /* the last record may lack its NUL */
    } else {
      /* A NUL cannot be in a path: a list holding one was most likely
       * written by find -print0 for -0.  Cutting the name at it would
       * read another file than meant, so the list is refused. */
      if (memchr(line, '\0', (size_t)n)) {
        rc = -2;
        break;
      }
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    }
    if (n > 0)
      rc = cli_paths_push(ps, line);
  }
  if (rc == 0 && ferror(in))
    rc = -1;
  free(line);
  return rc;
}

void cli_paths_free(cli_paths *ps) {
  for (size_t i = 0; i < ps->n; i++)
    free(ps->v[i]);
  free(ps->v);
  ps->v = NULL;
  ps->n = ps->cap = 0;
}
