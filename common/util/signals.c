// SPDX-License-Identifier: Apache-2.0
#include "signals.h"

#include <signal.h>
#include <stddef.h>

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

bool tt_stop_requested(void)
{
	return stop_signal != 0;
}

void tt_catch_stop_signals(void)
{
	/*
	 * SA_RESTART keeps a write to a slow stdout going; poll() and nanosleep()
	 * are never restarted, so a signal still ends the wait at once.
	 */
	struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
