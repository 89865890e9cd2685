/* mpi_run.h - dedup-cluster-mpi's transport: examples/dedup-cluster.c
 * built with DEDUP_CLI_MPI, one process per MPI rank.  Which rank adds a
 * document, which bytes of a --jsonl file a rank parses and which of its
 * lines repeat an id (asked of the id's owner rank), rank 0's standard
 * input shared, the library's shardable
 * passes driven over MPI_COMM_WORLD (statistics exchanged by key
 * ownership, records gathered to rank 0), messages gathered, failures
 * ending every rank.  No algorithm of its own: the library's passes do
 * the work, dedup-cluster.c reads and prints. */
#ifndef DEDUP_MPI_RUN_H
#define DEDUP_MPI_RUN_H

#include "cli_args.h"
#include "dedup.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* dedup-cluster.c's main, renamed: mpi_run.c's main() initialises MPI,
 * runs it on every rank and exits every rank with the highest status
 * any rank returned (a failure, status 3, ends them all at once). */
int dedup_cluster_main(int argc, char **argv);

int mpi_rank(void);
int mpi_size(void);

/* 1 when this rank adds the document named name: the ranks walk the same
 * inputs in the same order, and a name goes to rank
 * dedup_hash_bytes(name, strlen(name), 0) % size (one name, one rank, as
 * the passes need). */
int mpi_owns(const char *name);

/* "rank N: ", for the messages of failures. */
const char *mpi_who(void);

/* Ends every rank with status (MPI_Abort): no rank is left waiting in a
 * collective for one that failed. */
_Noreturn void mpi_die(int status);

/* Rank 0 reads its standard input (mpirun gives it to rank 0 alone) to
 * the end and broadcasts it; every rank then reads those bytes as its
 * standard input (a temporary file on fd 0), so a '-' list or --jsonl -
 * is read alike everywhere.  A collective call.  0, or -1 when rank 0
 * could not read it (said; on every rank). */
int mpi_share_stdin(void);

/* ---- --jsonl split by bytes (dedup-cluster.c's add_jsonl) ----------- */

/* 1 on every rank when every rank found the input a plain file of the
 * same size (jsonl_plain_size: plain, size): the ranks split it by bytes;
 * else 0 on every rank (each reads it whole).  A collective call. */
int mpi_all_plain(int plain, uint64_t size);

/* This rank's bytes [*off, *end) of size: rank r of P has
 * [r*size/P, (r+1)*size/P) (rounded down; exact for any size). */
void mpi_range(uint64_t size, uint64_t *off, uint64_t *end);

/* The sum of lines over the ranks before this one (MPI_Exscan; 0 on rank
 * 0): what turns a line of its range into a line of the file.  A
 * collective call. */
unsigned long mpi_lines_before(unsigned long lines);

/* Counts the lines this rank parsed of a --jsonl input (for
 * DEDUP_MPI_REPORT). */
void mpi_lines_parsed(unsigned long lines);

/* A document line of this rank's: its id and its line in the input. */
typedef struct mpi_id_line {
  const char *id;
  unsigned long line;
} mpi_id_line;

/* One of them whose id was seen before, and where it was first seen. */
typedef struct mpi_dup {
  unsigned long line;
  int first_file; /* the index of the input */
  unsigned long first_line;
} mpi_dup;

/* The repeated ids of input `file` (a collective call, the inputs in
 * order, 0 first): every rank gives its document lines v[0, n), lines
 * ascending, and the ranks' lines of one input are disjoint, a rank's
 * after those of the ranks before (ranges in rank order), or each rank's
 * the lines of the ids it owns.  Each (id, file, line) goes to the id's
 * owner (dedup_hash_bytes(id) mod ranks), which keeps, of every id, the
 * first (file, line) it was given, over every input so far, and answers
 * each rank with its lines that came later.  Returns how many of v are
 * repeats, in *dups (ascending lines; free()).  Failures end every rank
 * (status 3). */
size_t mpi_first_ids(int file, const mpi_id_line *v, size_t n,
                     mpi_dup **dups);
/* Frees the owner's table once every input is read. */
void mpi_first_ids_end(void);

/* Sums count[0, n) over the ranks and, for each k, the smallest
 * (file[k], line[k]) of the ranks with count[k] > 0 (those with 0 have
 * none): on every rank.  A collective call. */
void mpi_tally(uint64_t *count, uint64_t *file, uint64_t *line, int n);

/* 1 (said, on rank 0) when o asks for what the passes cannot do yet:
 * --explain, --load, --save, --index and the service options. */
int mpi_refuse(const cli_opts *o);

/* The passes over every rank's shard c (a collective call): count,
 * exchange by key ownership, sign, then shard_done(ctx) (NULL: none;
 * c is not read after it, so it may free c), records gathered to rank 0,
 * which makes *res (params p) of every rank's records, in rank order,
 * and clusters it; *res is NULL on the other ranks.  DEDUP_OK; a failure of
 * the library on any rank is said ("rank N: ...") and ends every rank
 * with status 3. */
int mpi_run_passes(dedup_corpus *c, const dedup_params *p,
                   const dedup_run_options *ro, dedup_corpus **res,
                   void (*shard_done)(void *ctx), void *ctx);

/* A stream for messages every rank has (each rank's own, in its order);
 * mpi_notes_close() (a collective call) gathers them and rank 0 writes
 * them to stderr in rank order. */
FILE *mpi_notes_open(void);
void mpi_notes_close(FILE *f);

#endif
