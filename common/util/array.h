/* SPDX-License-Identifier: Apache-2.0 */
/* The number of elements of an array (not of a pointer). */
#ifndef TT_ARRAY_H
#define TT_ARRAY_H

#define TT_ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

#endif
