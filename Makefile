# tracewarp - top-level build.
#
#   make            build/tracewarp
#   make test       install missing packages, style check, unit tests (plain
#                   and ASan+UBSan), end-to-end tests (plain and ASan),
#                   a short run of every fuzz harness
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (default 60)
#   make demo       install missing packages, run the main job on live
#                   traffic in network namespaces (tools/demo.sh; without
#                   root, on the bundled captures)
#   make bench      benchmarks side by side with the tools users know
#   make clean
#
# Variables: CC=clang, BUILD=dir, SAN=1 (ASan+UBSan), NDEBUG=1, NO_DPDK=1
# (build without DPDK even where libdpdk is installed), FUZZ_SECONDS=N.

CC ?= cc
BUILD ?= build
PKG_CONFIG ?= pkg-config

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=c17 -D_GNU_SOURCE $(WARN) -I. -MMD -MP
LDLIBS :=

ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link
endif
ifeq ($(NDEBUG),1)
CFLAGS += -DNDEBUG
endif

# Third-party libraries, found with pkg-config.  A missing one stops the
# build with the install command (tools/install-deps.sh prints it).
PKGS := jansson libcrypto libssl yaml-0.1 libpcap zlib libnghttp2
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CFLAGS += $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm

# zopfli (libzopfli-dev) ships a static library and no pkg-config file:
# the redactor's last try at recompressing a gzip gRPC message.
LDLIBS += -lzopfli

# libnet ships libnet-config, not a pkg-config file.
LIBNET_CONFIG ?= libnet-config
LDLIBS += $(shell $(LIBNET_CONFIG) --libs 2>/dev/null)

LIB_DIRS := trace capture redact replay tools/generate
LIB_SRCS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))

# DPDK is optional: without libdpdk the rest builds and --dpdk says it is
# unavailable.  Only dpdk/ sees DPDK's headers and their flags.
NO_DPDK ?=
ifeq ($(NO_DPDK),)
HAVE_DPDK := $(shell $(PKG_CONFIG) --exists libdpdk && echo 1)
endif
ifeq ($(HAVE_DPDK),1)
DPDK_CFLAGS := $(shell $(PKG_CONFIG) --cflags libdpdk) -DTW_HAVE_DPDK
LDLIBS += $(shell $(PKG_CONFIG) --libs libdpdk)
CFLAGS += -DTW_HAVE_DPDK
LIB_SRCS += $(wildcard dpdk/*.c)
$(BUILD)/obj/dpdk/%.o: CFLAGS += $(DPDK_CFLAGS)
endif
CLI_SRCS := $(wildcard cli/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzzers/%,\
	$(wildcard tests/fuzz/fuzz_*.c))
LIB := $(BUILD)/libtracewarp.a
BIN := $(BUILD)/tracewarp

.PHONY: fuzz fuzz-smoke fuzzers all test unit unit-asan e2e e2e-asan style demo bench clean deps check-pkgs

all: check-pkgs $(BIN)

check-pkgs:
	@$(PKG_CONFIG) --exists $(PKGS) && \
	echo '#include <zopfli/zopfli.h>' | $(CC) -E - >/dev/null 2>&1 || { \
		echo "missing libraries: run tools/install-deps.sh" >&2; \
		exit 1; }

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) $(LDFLAGS) \
		-o $@ $< $(LIB) $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# test_allocfail takes the allocator of the library's code over (see the
# suite): failing the Nth allocation, it checks every failure path.
$(BUILD)/tests/test_allocfail: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc \
	-Wl,--wrap=realloc,--wrap=strdup,--wrap=strndup

$(BUILD)/fuzzers/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzzers: $(FUZZ_BINS)

# libFuzzer harnesses (clang, ASan + UBSan), each run FUZZ_SECONDS on
# seeds from the corpus; `make fuzz-smoke` is the short run of make test.
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz SAN=1 FUZZ=1 \
		CC=clang NO_DPDK=1 fuzzers
	@tools/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

deps:
	@tools/install-deps.sh

# The unit suites, one binary per module; each prints cmocka's summary.
unit: check-pkgs $(TEST_BINS)
	@tools/run-unit.sh $(TEST_BINS)

# The same suites, and the end-to-end tests, on a clang ASan+UBSan build.
unit-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CC=clang unit

e2e-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CC=clang e2e

e2e: all
	@tests/e2e/run.sh $(BIN)

style:
	@tools/check-style.sh

# Each runner adds its counts to $(TW_RESULTS); the total is the last line.
TW_RESULTS ?= $(abspath $(BUILD))/test-results
export TW_RESULTS

test: deps
	@mkdir -p $(BUILD) && rm -f $(TW_RESULTS)
	@$(MAKE) --no-print-directory style
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-asan
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory e2e-asan
	@$(MAKE) --no-print-directory fuzz-smoke
	@awk '{ p += $$1; f += $$2 } END { printf "total: %d passed, %d failed\n", p, f }' $(TW_RESULTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(BIN)

bench: deps
	@$(MAKE) --no-print-directory all NDEBUG=1 BUILD=$(BUILD)/release
	@tools/bench/run.sh $(BUILD)/release/tracewarp

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
