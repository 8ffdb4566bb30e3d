# grsn — plain Makefile.
#   make            library + CLI + examples (optimised)
#   make test       build and run the whole suite; ends with "N passed, N failed"
#   make debug      the suite under ASan/UBSan (-O0 -g)
#   make install PREFIX=/usr/local
#   NO_OMP=1        build without OpenMP (results are bit-identical either way)
#   WERROR=1        warnings are errors (CI)

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
VERSION := 0.1.0

# Reference floating point: no fast-math, no FMA contraction, so results are
# identical across optimisation levels and thread counts. -fopenmp-simd honours
# the "omp simd" pragmas with or without the OpenMP runtime, so the vectorised
# reductions are the same in both builds.
OPT     ?= -O2
CFLAGS  += -std=c11 $(OPT) -ffp-contract=off -fno-math-errno -fopenmp-simd \
           -Wall -Wextra -Wshadow -Wno-unknown-pragmas -D_POSIX_C_SOURCE=200809L \
           -Iinclude -Isrc -MMD -MP
LDLIBS  += -lm -lpthread
LDFLAGS += $(SAN_LDFLAGS)
ifeq ($(WERROR),1)
  CFLAGS += -Werror
endif

# -march=native only if the compiler takes it.
ifneq ($(NO_NATIVE),1)
  ifeq ($(shell echo 'int main(void){return 0;}' | $(CC) -march=native -x c - -o /dev/null 2>/dev/null && echo ok),ok)
    CFLAGS += -march=native
  endif
endif

# OpenMP is optional and detected.
ifneq ($(NO_OMP),1)
  ifeq ($(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo ok),ok)
    CFLAGS  += -fopenmp -DGRSN_OMP
    LDFLAGS += -fopenmp
    PC_LIBS += -fopenmp
  endif
endif

LIB_SRC  := $(sort $(wildcard src/*.c src/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c bench/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
EX_SRC   := $(sort $(wildcard examples/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
EX_BIN   := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)

.PHONY: all lib cli examples test debug install clean
all: lib cli examples
lib: $(BUILD)/libgrsn.a
cli: $(BUILD)/grsn
examples: $(EX_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The product kernels may fuse multiply-adds: every path through them is
# fused alike, so results stay identical across batch sizes and threads
# (src/ops.c explains; tests/test_cells.c checks).
$(BUILD)/src/ops.o: CFLAGS += -ffp-contract=fast

# The commit being built goes into run configs and checkpoints (src/buildinfo.c);
# the stamp changes, and buildinfo.o is rebuilt, only when the commit does.
BUILD_ID := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/buildid.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BUILD_ID)' | cmp -s - $@ || echo '$(BUILD_ID)' > $@
$(BUILD)/src/buildinfo.o: $(BUILD)/buildid.stamp
$(BUILD)/src/buildinfo.o: CFLAGS += -DGRSN_BUILD_ID='"$(BUILD_ID)"'
.PHONY: FORCE
FORCE:

$(BUILD)/libgrsn.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/grsn: $(CLI_OBJ) $(BUILD)/libgrsn.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/test.h $(BUILD)/libgrsn.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libgrsn.a -o $@ $(LDLIBS)

# Examples see the public headers only (include/, not src/), as a program
# built against an installed grsn does.
$(BUILD)/examples/%: examples/%.c $(BUILD)/libgrsn.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Isrc,$(CFLAGS)) $(LDFLAGS) $< $(BUILD)/libgrsn.a -o $@ $(LDLIBS)

test: all $(TEST_BIN)
	@GRSN_BIN=$(BUILD)/grsn GRSN_TESTS=$(BUILD)/tests GRSN_EXAMPLES=$(BUILD)/examples sh tests/run.sh

debug:
	$(MAKE) test BUILD=build/debug OPT="-O0 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    SAN_LDFLAGS="-fsanitize=address,undefined" NO_NATIVE=1

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(BUILD)/libgrsn.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/*.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(BUILD)/grsn $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@LIBS@|$(PC_LIBS)|g' grsn.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/grsn.pc

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
