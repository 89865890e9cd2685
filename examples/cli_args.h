/* cli_args.h - dedup-cluster's command line: argv to options, and the
 * list of paths read from standard input ('-').  Kept apart from the rest
 * of the CLI so fuzz/fuzz_cli.c can drive it with arbitrary arguments. */
#ifndef DEDUP_CLI_ARGS_H
#define DEDUP_CLI_ARGS_H

#include "dedup.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { CLI_FMT_TEXT, CLI_FMT_TSV, CLI_FMT_JSON };
#define CLI_JSONL_MAX 64 /* --jsonl files in one run */
#define CLI_REMOVE_MAX 1024 /* --remove ids in one run */

/* The matching options given (cli_opts.param_given): an existing
 * --index refuses those that differ from its saved values. */
enum {
  CLI_P_THRESHOLD = 1u << 0,
  CLI_P_STORY_THRESHOLD = 1u << 1,
  CLI_P_STORY_DAYS = 1u << 2,
  CLI_P_METHOD = 1u << 3,
  CLI_P_SHINGLE = 1u << 4,
  CLI_P_PERMS = 1u << 5,
  CLI_P_SEED = 1u << 6,
  CLI_P_CLASSIC = 1u << 7,
  CLI_P_NO_CLEAN = 1u << 8,
  CLI_P_SPLIT = 1u << 9,
  CLI_P_NO_LANGID = 1u << 10
};

typedef struct cli_opts {
  dedup_params p;         /* the model (an index fixes it) */
  dedup_run_options ro;   /* threads, levels: this run only */
  int format; /* CLI_FMT_* */
  dedup_level level;
  int all, quiet, recursive;
  int null_sep;      /* -0: NUL-separated list on stdin and output */
  int show_text;     /* --show-text: with --explain, the text kept */
  int help, version; /* print that and exit 0 (nothing else is checked) */
  const char *explain[2]; /* --explain A B */
  const char *load, *save;
  const char *param_opt; /* first option the --load index would fix */
  unsigned param_given;  /* CLI_P_* */
  /* --index PATH: the service index (dedup_index_*), and what to do */
  const char *index;
  int keep_texts, defer, rebuild, replace, list, query;
  int compact, sync; /* --compact, --sync (service index) */
  const char *expire; /* --expire DATE as given; expire_at parsed */
  int64_t expire_at;
  const char *remove[CLI_REMOVE_MAX]; /* --remove ID (repeatable) */
  int n_remove;
  char **files;          /* the operands, in argv (permuted by getopt) */
  int n_files;
  /* --jsonl FILE (repeatable; '-' standard input), field names */
  const char *jsonl[CLI_JSONL_MAX];
  int n_jsonl;
  const char *id_field, *text_field, *title_field, *date_field, *lang_field;
  const char *lang; /* --lang: the documents' language code, NULL: none */
} cli_opts;

/* Fills *o from argv (argv is permuted: options may come anywhere, '--'
 * ends them).  Returns 0, or -1 on a usage error with a message (no
 * "dedup-cluster: " prefix, no newline) in msg.  Resets getopt's state
 * first, so it may be called more than once in a process. */
int cli_parse(cli_opts *o, int argc, char **argv, char *msg, size_t msg_len);

/* Paths read from a list: one a line ("\n" or "\r\n"; empty lines are
 * skipped), or NUL-terminated with nul (empty names skipped). */
typedef struct cli_paths {
  char **v;
  size_t n, cap;
} cli_paths;

int cli_paths_push(cli_paths *ps, const char *s); /* 0, or -1: no memory */
/* 0; -1: no memory or a read error; -2: a NUL byte in a line (not nul) */
int cli_read_list(cli_paths *ps, FILE *in, int nul);
void cli_paths_free(cli_paths *ps);

#endif
