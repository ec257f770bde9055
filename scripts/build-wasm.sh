#!/usr/bin/env bash
# Builds wasm-core into wasm-core/pkg with wasm-pack (Node.js target), using Debian's
# rustc 1.63 for wasm32 and the vendored crate sources (scripts/setup-toolchain.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.env
export PATH="$HOME/.cargo/bin:$PATH"

# A private CARGO_HOME points every cargo call wasm-pack makes (metadata, build) at the
# vendored sources without a committed .cargo/config that would also bind the host cargo.
export CARGO_HOME="$root/target/cargo-home-wasm"
mkdir -p "$CARGO_HOME"
cat > "$CARGO_HOME/config.toml" <<CFG
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "$root/target/vendor"
[net]
offline = true
CFG
export RUSTUP_TOOLCHAIN="$WASM_RUST_TOOLCHAIN"
# Post-MVP features every supported Node has: saturating float->int conversions become one
# instruction instead of a range check and a branch (the kernel converts timestamps per record).
export RUSTFLAGS="-C target-feature=+nontrapping-fptoint,+sign-ext,+bulk-memory,+mutable-globals"
export CARGO_TARGET_DIR="$root/target/wasm"
wasm-pack build wasm-core --release --target nodejs --out-dir pkg --no-pack "$@"
# wasm-opt -O3 (Debian's binaryen; wasm-pack's own step is off because it downloads binaryen)
# shrinks and speeds up the kernel a little beyond what rustc emits.
wasm=wasm-core/pkg/rivulet_wasm_core_bg.wasm
if command -v wasm-opt >/dev/null 2>&1; then
  wasm-opt -O3 "$wasm" -o "$wasm.opt" && mv "$wasm.opt" "$wasm"
else
  echo "build-wasm: wasm-opt not found; the kernel is left as rustc emitted it" >&2
fi
# The generated glue is CommonJS; without this the root package's "type": "module" would make
# Node parse it as ESM.
printf '{ "type": "commonjs" }\n' > wasm-core/pkg/package.json
# wasm-pack writes a `*` .gitignore into pkg/; npm pack honours nested ignore files even over the
# package's `files` list, so it would leave the kernel out of the package. The root .gitignore
# already keeps pkg/ out of git.
rm -f wasm-core/pkg/.gitignore
