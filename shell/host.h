/*
 * The host side of the run loop for the command-line front end: the stdio
 * console (with its Ctrl-A keys), real-time waits and signals. See
 * CoreHostOps in core/run.h.
 */
#ifndef SHELL_HOST_H
#define SHELL_HOST_H

#include "core/run.h"

/* Install into m->host before running m. One machine runs at a time. */
extern const CoreHostOps shell_host_ops;

#endif
