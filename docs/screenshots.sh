#!/usr/bin/env bash
# Takes the documentation screenshots of tantra-weights under a virtual X server (Xvfb) and
# ImageMagick's `import`, into docs/screenshots/. The app is driven with keyboard shortcuts
# sent through the XTEST extension (a few lines of Python ctypes below: no xdotool needed).
#
#   docs/screenshots.sh [BUILD_DIR]       default: the first of build/release, build/dev, build/h-gui
#
# Environment: TANTRA_CORPUS_DIR (default ../shared/corpus next to the repository).
# Each shot starts the app afresh with empty settings, so the window has its default layout.
# To add a shot: write a function like shot_browser below and list it in SHOTS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/docs/screenshots"
CORPUS=${TANTRA_CORPUS_DIR:-$(cd "$ROOT/.." && pwd)/shared/corpus}
WIDTH=${SHOT_WIDTH:-1440}
HEIGHT=${SHOT_HEIGHT:-900}

if [[ $# -ge 1 ]]; then
    BUILD=$1
else
    BUILD=
    for candidate in "$ROOT/build/release" "$ROOT/build/dev" "$ROOT/build/h-gui"; do
        if [[ -x "$candidate/bin/tantra-weights" ]]; then BUILD=$candidate; break; fi
    done
fi
APP="$BUILD/bin/tantra-weights"
[[ -x "$APP" ]] || { echo "screenshots.sh: no tantra-weights in '${BUILD:-build/*}'; build it first" >&2; exit 1; }
for tool in Xvfb import python3; do
    command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is required" >&2; exit 1; }
done
[[ -d "$CORPUS/valid" ]] || { echo "screenshots.sh: corpus not found at $CORPUS (set TANTRA_CORPUS_DIR)" >&2; exit 1; }
mkdir -p "$OUT"

WORK=$(mktemp -d)
XVFB_PID=
APP_PID=
cleanup() {
    [[ -n "$APP_PID" ]] && kill "$APP_PID" 2>/dev/null || true
    [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A display number nobody uses.
DISPLAY_NUMBER=91
while [[ -e /tmp/.X11-unix/X$DISPLAY_NUMBER || -e /tmp/.X$DISPLAY_NUMBER-lock ]]; do
    DISPLAY_NUMBER=$((DISPLAY_NUMBER + 1))
done
export DISPLAY=:$DISPLAY_NUMBER
Xvfb "$DISPLAY" -screen 0 ${WIDTH}x${HEIGHT}x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$DISPLAY_NUMBER ]] && break; sleep 0.1; done

# keys.py: send key chords ("ctrl+2", "alt+l", "Down"), text ("text:*.weight") and clicks
# ("click:X,Y") via XTEST. Without a window manager nothing gives the app the keyboard focus;
# a click into its window does.
cat >"$WORK/keys.py" <<'PY'
import ctypes, sys, time
x11 = ctypes.CDLL("libX11.so.6")
xtst = ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XKeycodeToKeysym.restype = ctypes.c_ulong
x11.XKeycodeToKeysym.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
x11.XFlush.argtypes = [ctypes.c_void_p]
display = x11.XOpenDisplay(None)
if not display:
    sys.exit("keys.py: cannot open display")
NAMES = {".": "period", "_": "underscore", "*": "asterisk", "/": "slash", "-": "minus", " ": "space",
         "\\": "backslash", "[": "bracketleft", "]": "bracketright", "^": "asciicircum", "$": "dollar"}
MODIFIERS = {"ctrl": "Control_L", "alt": "Alt_L", "shift": "Shift_L"}

def code(name):
    sym = x11.XStringToKeysym(name.encode())
    return sym, x11.XKeysymToKeycode(display, sym)

def tap(keycodes):
    for k in keycodes:
        xtst.XTestFakeKeyEvent(display, k, True, 0)
    for k in reversed(keycodes):
        xtst.XTestFakeKeyEvent(display, k, False, 0)
    x11.XFlush(display)
    time.sleep(0.08)

for arg in sys.argv[1:]:
    if arg.startswith("click:"):
        x, y = (int(v) for v in arg[6:].split(","))
        xtst.XTestFakeMotionEvent(display, -1, x, y, 0)
        xtst.XTestFakeButtonEvent(display, 1, True, 0)
        xtst.XTestFakeButtonEvent(display, 1, False, 0)
        x11.XFlush(display)
        time.sleep(0.3)
    elif arg.startswith("text:"):
        for ch in arg[5:]:
            sym, keycode = code(NAMES.get(ch, ch))
            shifted = x11.XKeycodeToKeysym(display, keycode, 0) != sym
            tap(([code("Shift_L")[1]] if shifted else []) + [keycode])
    else:
        parts = arg.split("+")
        tap([code(MODIFIERS.get(p, p))[1] for p in parts])
PY

keys() { python3 "$WORK/keys.py" "$@"; sleep 0.6; }
# A click on the status bar: gives the window the focus, changes nothing.
focus() { keys "click:$((WIDTH / 2)),$((HEIGHT - 8))"; }

# start [VAR=value...] [PATH...]: the app with fresh settings and data folders (nothing of
# the user's is read or written), full screen, on PATH.
start() {
    local home="$WORK/home-$RANDOM"
    local vars=()
    while [[ $# -gt 0 && $1 == *=* ]]; do vars+=("$1"); shift; done
    mkdir -p "$home/config" "$home/data"
    env XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" "${vars[@]}" \
        "$APP" -qwindowgeometry ${WIDTH}x${HEIGHT}+0+0 "$@" &
    APP_PID=$!
    sleep 3.5
    focus
}
stop() {
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    APP_PID=
}
snap() {
    import -window root "$OUT/$1.png"
    echo "  $OUT/$1.png"
}

# Tensor browser (tree) with statistics and histogram of a real LoRA weight.
shot_browser() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/valid/sd15-lora__diffusers-pytorch_lora_weights.safetensors"
    keys ctrl+f "text:*mid_block*attn1*to_q_lora.up*" Return
    sleep 1.5
    snap browser-histogram
    stop
}

# The same in a dark desktop.
shot_dark() {
    start TANTRA_COLOR_SCHEME=dark "$CORPUS/valid/sd15-lora__diffusers-pytorch_lora_weights.safetensors"
    keys ctrl+f "text:*mid_block*attn1*to_q_lora.up*" Return
    sleep 1.5
    snap browser-histogram-dark
    stop
}

# Every dtype of the SafeTensors.jl test file: table view, value grid of a rank-3 tensor.
shot_values() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/valid/SafeTensors.jl__model.with_metadata.safetensors"
    keys ctrl+2 ctrl+f "text:bfloat16_357" Return alt+l
    sleep 1
    snap table-values
    stop
}

# Histogram of the with_metadata file's f32 tensor (the brief's reference file).
shot_metadata_histogram() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/valid/SafeTensors.jl__model.with_metadata.safetensors"
    keys ctrl+f "text:float32_357" Return
    sleep 1.5
    snap with-metadata-histogram
    stop
}

# Heatmap of an MNIST layer's weights.
shot_heatmap() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/valid/mnist-tinygrad__model.safetensors"
    keys ctrl+f "text:l1.weight" Return alt+t
    sleep 2
    snap heatmap
    stop
}

# A 6-shard checkpoint opened through its folder: one model, a shard column.
shot_sharded() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/sharded/SafeTensors.jl"
    keys ctrl+2
    sleep 1
    snap sharded-table
    stop
}

# The window before anything is open (the first-start question declined with Escape).
shot_welcome() {
    start TANTRA_COLOR_SCHEME=light
    keys Escape
    snap welcome
    stop
}

# Help › About, with the library versions.
shot_about() {
    start TANTRA_COLOR_SCHEME=light "$CORPUS/valid/mnist-tinygrad__model.safetensors"
    keys alt+h a
    sleep 1
    snap about
    stop
}

# A workspace made by the CLI the way a user would: setup, a second imported version, checks.
make_workspace() {
    local cli="$BUILD/bin/tantra-model-manager" ws="$WORK/ws"
    [[ -d "$ws/Model" ]] && return
    "$cli" --root "$ws" setup >/dev/null
    cp "$ws/Model/weights/mamba_sample.safetensors" "$WORK/mamba_run7.safetensors"
    "$cli" --root "$ws" import "$WORK/mamba_run7.safetensors" --version run7 --activate >/dev/null
    "$cli" --root "$ws" validate --all --deep >/dev/null
    "$cli" --root "$ws" backup mamba_sample >/dev/null
}

# The main window on a workspace: model types, weights, details.
shot_workspace() {
    make_workspace
    start TANTRA_COLOR_SCHEME=light --workspace "$WORK/ws"
    snap main-window
    stop
}

# The config editor (Workspace › Edit Config, Ctrl+E) on the mamba config, with the check of
# an edited d_model against the active weight.
shot_config_editor() {
    make_workspace
    start TANTRA_COLOR_SCHEME=light --workspace "$WORK/ws"
    keys ctrl+e
    sleep 1.5
    snap config-editor
    # Positions for the default 1440x900 layout: the d_model field, then the Check button.
    keys "click:${CONFIG_DMODEL_X:-230},${CONFIG_DMODEL_Y:-294}" ctrl+a "text:256" Return
    keys "click:${CONFIG_CHECK_X:-367},${CONFIG_CHECK_Y:-693}"
    sleep 2
    snap config-editor-check
    stop
}

# The demo's mamba_v1 and mamba_v2 compared (Weight › Compare, Ctrl+D): the largest change
# first, its heatmap of |A - B|.
shot_compare() {
    start TANTRA_COLOR_SCHEME=light --demo
    # The first weights row (mamba_v2, the newest), then mamba_v1 below it.
    keys "click:${WEIGHTS_ROW_X:-520},${WEIGHTS_ROW_Y:-172}" shift+Down ctrl+d
    sleep 3
    # A matrix, for the heatmap: the filter, then its first row.
    keys ctrl+f "text:out_proj" "click:${COMPARE_ROW_X:-300},${COMPARE_ROW_Y:-209}" alt+t
    sleep 1.5
    snap compare
    stop
}

# Weight › Convert… (Ctrl+Shift+V) of the demo's mamba_v2 to F16 with the sensitive tensors
# kept (the demo's mamba config allows F32, BF16 and F16): the dialog, then the report tab.
shot_convert() {
    start TANTRA_COLOR_SCHEME=light --demo
    keys "click:${WEIGHTS_ROW_X:-520},${WEIGHTS_ROW_Y:-172}" ctrl+shift+v
    sleep 1.5
    # The dtype combo has the focus: the second entry, then the keep-sensitive box (Tab x3).
    keys Down Tab Tab Tab space
    snap convert-dialog
    keys Return
    sleep 4
    snap convert-report
    stop
}

SHOTS=(shot_workspace shot_compare shot_convert shot_config_editor shot_browser shot_dark shot_metadata_histogram shot_values shot_heatmap shot_sharded shot_welcome shot_about)
if [[ -n "${ONLY:-}" ]]; then SHOTS=($ONLY); fi
echo "screenshots.sh: $APP on $DISPLAY"
for shot in "${SHOTS[@]}"; do
    "$shot"
done
