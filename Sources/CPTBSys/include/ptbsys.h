#ifndef PTBSYS_H
#define PTBSYS_H
#include <spawn.h>

/* GNU extensions of posix_spawn that Swift's Glibc module does not expose. */
int ptb_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int ptb_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
