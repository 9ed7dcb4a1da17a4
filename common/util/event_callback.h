/* SPDX-License-Identifier: Apache-2.0 */
/* What every kind of event buffer hands each record to. */
#ifndef TT_EVENT_CALLBACK_H
#define TT_EVENT_CALLBACK_H

typedef void (*tt_event_fn)(void *cookie, const void *data, int size);

#endif
