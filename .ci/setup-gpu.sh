#!/usr/bin/env bash
# System packages for gpu.js's `webgpu` (Dawn on Mesa lavapipe) and `headlessgl` (native `gl`)
# backends on Debian 12 (bookworm), CPU-only.  Run as root (or with sudo) BEFORE `npm ci`:
# `npm ci` builds gpu.js's optional dependency `gl` from source, and when libxi-dev is missing
# that build fails and npm silently drops `gl` (after which `npm rebuild gl` is a no-op).
#
#   sudo .ci/setup-gpu.sh          # apt part (this must come before npm ci)
#   JOBS=max npm ci                 # builds gl from source (~2-3.5 min on 2 cores)
#   .ci/setup-gpu.sh --check        # optional: prove both backends run (node only, no npm)
#
# Idempotent: re-running it skips what is already in place.  Never runs npm.
# See docs/backends.md.
set -euo pipefail

if [ "${1:-}" = "--check" ]; then
  # Post-`npm ci` check, run from the project root: gl's native binding exists and both
  # backends run one tiny kernel.  Fails loudly where npm skipped the optional gl build.
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  rc=0
  if [ -f node_modules/gl/build/Release/webgl.node ]; then
    echo "[setup-gpu] gl native binding: node_modules/gl/build/Release/webgl.node"
  else
    echo "[setup-gpu] ERROR: node_modules/gl/build/Release/webgl.node missing: npm skipped the optional gl build." >&2
    echo "[setup-gpu]   Run this script (apt part) first, then 'npm ci' again ('npm rebuild gl' is a no-op once gl was skipped)." >&2
    rc=1
  fi
  echo "[setup-gpu] headlessgl: xvfb-run -a node (gpu.js mode 'headlessgl')"
  xvfb-run -a node --input-type=module -e "
    import gpujs from 'gpu.js';
    const k = new gpujs.GPU({ mode: 'headlessgl' }).createKernel(function (a) { return a[this.thread.x] * 2 + 1; }, { output: [4] });
    const r = Array.from(k(new Float32Array([0, 1, 2, 3])));
    if (r.join() !== '1,3,5,7') throw new Error('headlessgl gave ' + r);
    console.log('[setup-gpu] headlessgl ok', r.join());" || rc=1
  echo "[setup-gpu] webgpu: node (gpu.js mode 'webgpu', navigator.gpu from the webgpu package, XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)"
  node --input-type=module -e "
    import { create, globals } from 'webgpu';
    Object.assign(globalThis, globals);
    globalThis.navigator = { gpu: create([]) };
    const gpujs = (await import('gpu.js')).default;
    if (!(await gpujs.GPU.isWebGPUAvailable())) throw new Error('no WebGPU adapter (is mesa-vulkan-drivers from bookworm-backports installed?)');
    const k = new gpujs.GPU({ mode: 'webgpu' }).createKernel(function (a) { return a[this.thread.x] * 2 + 1; }, { output: [4] });
    const r = Array.from(await k(new Float32Array([0, 1, 2, 3])));
    await gpujs.WebGPUContext.destroy();
    if (r.join() !== '1,3,5,7') throw new Error('webgpu gave ' + r);
    console.log('[setup-gpu] webgpu ok', r.join());" 2> >(grep -v 'artificially reduced' >&2) || rc=1
  exit $rc
fi

log()  { printf '[setup-gpu] %s\n' "$*"; }
step() { # step "description" cmd args...  -- runs and times one step
  local desc=$1; shift
  log "$desc: $*"
  local t0=$SECONDS
  "$@"
  log "$desc: done in $((SECONDS - t0)) s"
}

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
T_START=$SECONDS

# Build deps of gl@8.1.6 (node-gyp + ANGLE): a C++ toolchain and python3 for node-gyp;
# pkg-config must find x11 xi xext (binding.gyp links -lX11 -lXi -lXext); ANGLE's
# FunctionsGLX.cpp includes <GL/glx.h> (libgl-dev -> libglx-dev).  libGL.so.1 is dlopen()ed at
# run time.  libglu1-mesa-dev and libglew-dev are NOT used by this build (built without them).
# On the Debian 12 base image only libxi-dev is missing from this list.
GL_BUILD_DEPS=(build-essential python3 pkg-config libx11-dev libxi-dev libxext-dev libgl-dev)
# Run-time X server for headlessgl (`xvfb-run -a node ...`); xvfb-run needs xauth.
X_RUNTIME=(xvfb xauth)
# Vulkan driver for Dawn: lavapipe from bookworm-backports (Mesa 25.0.7 tested; bookworm's own
# Mesa 22.3 is rejected by Dawn per /work/shared/NOTES-GPU.md).  Any major >= 23 counts as done.
BACKPORTS_SUITE=bookworm-backports
MIN_MESA_MAJOR=23

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

mesa_ok() {
  installed mesa-vulkan-drivers || return 1
  local v major
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)
  major=${v%%.*}; major=${major#*:}
  [ "$major" -ge "$MIN_MESA_MAJOR" ]
}

missing=()
for p in "${GL_BUILD_DEPS[@]}" "${X_RUNTIME[@]}"; do installed "$p" || missing+=("$p"); done
need_mesa=0; mesa_ok || need_mesa=1

# 1. bookworm-backports apt source, mirroring the existing bookworm entry.
BP_FILE=/etc/apt/sources.list.d/bookworm-backports.sources
added_source=0
if grep -rqs "$BACKPORTS_SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "apt source for $BACKPORTS_SUITE already present"
else
  uris= signed=
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # first deb822 stanza whose Suites include plain "bookworm"
    read -r uris signed < <(awk '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; s=""; k=""; ok=0
        for (i=1;i<=NF;i++) {
          if ($i ~ /^URIs:/)      { u=$i; sub(/^URIs:[ \t]*/, "", u) }
          if ($i ~ /^Suites:/)    { n=split($i, a, /[ \t]+/); for (j=2;j<=n;j++) if (a[j]=="bookworm") ok=1 }
          if ($i ~ /^Signed-By:/) { k=$i; sub(/^Signed-By:[ \t]*/, "", k) }
        }
        if (ok) { print u, k; exit }
      }' /etc/apt/sources.list.d/debian.sources) || true
  fi
  if [ -z "${uris:-}" ] && [ -f /etc/apt/sources.list ]; then
    uris=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
  fi
  uris=${uris:-http://deb.debian.org/debian}
  signed=${signed:-/usr/share/keyrings/debian-archive-keyring.gpg}
  log "adding $BP_FILE (URIs: $uris, Signed-By: $signed)"
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "$uris" "$BACKPORTS_SUITE" "$signed" | $SUDO tee "$BP_FILE" >/dev/null
  added_source=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_mesa -eq 0 ] && [ $added_source -eq 0 ]; then
  log "all packages already installed: $(dpkg-query -W -f='${Package} ${Version}\n' mesa-vulkan-drivers)"
else
  # 2. package lists
  step "apt-get update" $SUDO apt-get update -q
  # 3. lavapipe (Mesa >= 23) from backports
  if [ $need_mesa -eq 1 ]; then
    step "install mesa-vulkan-drivers from $BACKPORTS_SUITE" \
      $SUDO apt-get install -y -q --no-install-recommends -t "$BACKPORTS_SUITE" mesa-vulkan-drivers
  else
    log "mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed"
  fi
  # 4. Xvfb + gl build deps (from bookworm)
  if [ ${#missing[@]} -gt 0 ]; then
    step "install ${missing[*]}" $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    log "xvfb, xauth and gl build deps already installed"
  fi
fi

# 5. Checks (no npm): Vulkan ICD for lavapipe, pkg-config for gl's binding.gyp, xvfb-run.
lvp=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -1 || true)
[ -n "$lvp" ] || { log "ERROR: lavapipe ICD json not found in /usr/share/vulkan/icd.d"; exit 1; }
log "lavapipe ICD: $lvp (mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
pkg-config --exists x11 xi xext || { log "ERROR: pkg-config cannot find x11 xi xext"; exit 1; }
log "pkg-config finds x11 xi xext"
command -v xvfb-run >/dev/null || { log "ERROR: xvfb-run missing"; exit 1; }
log "xvfb-run: $(command -v xvfb-run)"

# node-gyp needs Node's C headers.  Without `nodedir` it downloads them from nodejs.org.
if [ -z "${npm_config_nodedir:-}" ] && ! grep -qs '^nodedir' "${HOME:-/root}/.npmrc" && [ -f /usr/include/node/node_api.h ]; then
  log "note: Node headers are at /usr/include/node; if nodejs.org is unreachable, run npm with npm_config_nodedir=/usr"
fi
log "done in $((SECONDS - T_START)) s.  Next: npm ci (builds gl), then run headlessgl under 'xvfb-run -a', webgpu with XDG_RUNTIME_DIR set"
