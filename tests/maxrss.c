/* maxrss.c - runs a command and records its peak memory, for the CLI
 * tests (a fresh machine may lack /usr/bin/time).
 *
 *   maxrss OUT CMD [ARG...]
 * Runs CMD with this process's stdin/stdout/stderr, writes its maximum
 * resident set size in KiB to the file OUT and exits with CMD's status
 * (128 + signal number if it was killed). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: maxrss OUT CMD [ARG...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status;
  struct rusage ru;
  /* The only child, so RUSAGE_CHILDREN's maximum is its maximum. */
  if (waitpid(pid, &status, 0) != pid || getrusage(RUSAGE_CHILDREN, &ru)) {
    perror("waitpid");
    return 2;
  }
  FILE *f = fopen(argv[1], "w");
  if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
    perror(argv[1]);
    return 2;
  }
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
