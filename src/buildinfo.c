/*
 * buildinfo.c — the commit grsn was built from. The Makefile defines
 * GRSN_BUILD_ID for this file alone and rebuilds it when the commit changes.
 */
#include "grsn.h"

#ifndef GRSN_BUILD_ID
#define GRSN_BUILD_ID "unknown"
#endif

const char *grsn_build_id(void) { return GRSN_BUILD_ID; }
