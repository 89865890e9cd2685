/* mpi_run.h - dedup-cluster-mpi's transport: examples/dedup-cluster.c
 * built with DEDUP_CLI_MPI, one process per MPI rank.  Which rank adds a
 * document, rank 0's standard input shared, the library's shardable
 * passes driven over MPI_COMM_WORLD (statistics exchanged by key
 * ownership, records gathered to rank 0), messages gathered, failures
 * ending every rank.  No algorithm of its own: the library's passes do
 * the work, dedup-cluster.c reads and prints. */
#ifndef DEDUP_MPI_RUN_H
#define DEDUP_MPI_RUN_H

#include "cli_args.h"
#include "dedup.h"

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

/* 1 (said, on rank 0) when o asks for what the passes cannot do yet:
 * --explain, --load, --save, --index and the service options. */
int mpi_refuse(const cli_opts *o);

/* The passes over every rank's shard c (a collective call): count,
 * exchange by key ownership, sign, records gathered to rank 0, which
 * makes *res (params p) of every rank's records, in rank order, and
 * clusters it; *res is NULL on the other ranks.  DEDUP_OK; a failure of
 * the library on any rank is said ("rank N: ...") and ends every rank
 * with status 3. */
int mpi_run_passes(dedup_corpus *c, const dedup_params *p,
                   const dedup_run_options *ro, dedup_corpus **res);

/* A stream for messages every rank has (each rank's own, in its order);
 * mpi_notes_close() (a collective call) gathers them and rank 0 writes
 * them to stderr in rank order. */
FILE *mpi_notes_open(void);
void mpi_notes_close(FILE *f);

#endif
