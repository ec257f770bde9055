#!/usr/bin/env bash
# Installs what building and testing rivulet needs, skipping whatever is already there.
# Idempotent: a second run only checks and takes seconds.
#   - Debian's rustc/cargo 1.63 with the wasm32 standard library (libstd-rust-dev-wasm32),
#     linked into rustup as the `debian` toolchain: the only wasm32 target reachable here.
#   - wasm-bindgen-cli (matching the pinned wasm-bindgen) and wasm-pack, via `cargo install`
#     with the host toolchain (the npm wasm-pack package downloads binaries and fails).
#   - Debian's binaryen (wasm-opt) for the optimization pass over the WASM kernel.
#   - vendored crate sources in target/vendor, because Debian's cargo 1.63 cannot read the
#     sparse crates.io index; the host cargo vendors them from Cargo.lock.
#   - node_modules, from package-lock.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=toolchain.env
. scripts/toolchain.env
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rustup >/dev/null 2>&1 || ! command -v cargo >/dev/null 2>&1; then
  echo "[setup] rustup with a host Rust toolchain is required (the machine image provides it)" >&2
  exit 1
fi

# 1. Debian's Rust with the wasm32 standard library.
if [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/wasm32-unknown-unknown ]; then
  say "installing Debian rustc, cargo, libstd-rust-dev-wasm32"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 >/dev/null
else
  say "Debian rustc $(/usr/bin/rustc --version | cut -d' ' -f2) with wasm32 std: present"
fi
if ! rustup toolchain list | grep -q "^${WASM_RUST_TOOLCHAIN}"; then
  say "linking /usr as rustup toolchain '${WASM_RUST_TOOLCHAIN}'"
  rustup toolchain link "$WASM_RUST_TOOLCHAIN" /usr
fi

# 1b. Binaryen's wasm-opt, run by scripts/build-wasm.sh over wasm-pack's output (wasm-pack's own
# wasm-opt step would download it from GitHub, so it is off in wasm-core's metadata). Optional:
# without it the kernel is built unoptimized by wasm-opt, and the build says so.
if ! command -v wasm-opt >/dev/null 2>&1; then
  say "installing Debian binaryen (wasm-opt)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq binaryen >/dev/null 2>&1 \
    || { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq binaryen >/dev/null; } \
    || say "binaryen not installable: the WASM kernel will not be run through wasm-opt"
else
  say "wasm-opt ($(wasm-opt --version 2>/dev/null | cut -d' ' -f3)): present"
fi

# 2. wasm-bindgen-cli and wasm-pack, built by the host toolchain.
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --quiet
else
  say "wasm-bindgen $WASM_BINDGEN_VERSION: present"
fi
if [ "$(wasm-pack --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_PACK_VERSION" ]; then
  say "cargo install wasm-pack $WASM_PACK_VERSION (a few minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --quiet
else
  say "wasm-pack $WASM_PACK_VERSION: present"
fi

# 3. Vendored crate sources for the Debian cargo (re-vendored when Cargo.lock changes).
stamp=target/vendor/.cargo-lock.sha
want=$(sha256sum Cargo.lock | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "vendoring crates into target/vendor"
  rm -rf target/vendor
  cargo vendor --locked --quiet target/vendor >/dev/null
  echo "$want" > "$stamp"
else
  say "vendored crates: current"
fi

# 4. Node dependencies.
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.package-lock.sha ] || [ "$(cat node_modules/.package-lock.sha)" != "$lock_sha" ]; then
  # `npm install` rather than `npm ci`: npm 11 omits other platforms' optional packages
  # (rollup, esbuild) from the lock it writes and then `npm ci` rejects that same lock.
  say "npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_sha" > node_modules/.package-lock.sha
else
  say "node_modules: current"
fi
say "toolchain ready"
