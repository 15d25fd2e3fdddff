#!/usr/bin/env bash
# Inside the benchmark host: N concurrent recording-equivalent pipelines, each Xvfb + PulseAudio null sink +
# Chromium rendering page.html + ffmpeg x11grab with the recorder's recording settings, for SECONDS seconds after a
# warm-up. Prints one line per pipeline: "pipeline <i> frames <n> expected <n> speed <x> drop <n> dup <n>".
# usage: pipelines.sh N SECONDS WIDTH HEIGHT TILES "PRE_INPUT" "POST_INPUT"
set -u
n=$1 seconds=$2 width=$3 height=$4 tiles=$5 pre=$6 post=$7
work=$(mktemp -d /tmp/bench.XXXX)
cd "$work"
pulseaudio --daemonize=yes --exit-idle-time=-1 --system=false -n \
  --load="module-native-protocol-unix" --log-target=stderr >pulse.log 2>&1 || true
pids=()
for i in $(seq 1 "$n"); do
  display=":$((20 + i))"
  Xvfb "$display" -nocursor -screen 0 "${width}x${height}x24" -ac -nolisten tcp -dpi 96 >"xvfb$i.log" 2>&1 &
  pids+=($!)
  pactl load-module module-null-sink "sink_name=bench$i" >/dev/null
  PULSE_SINK="bench$i" chromium --no-sandbox --display="$display" --no-first-run --disable-gpu --kiosk \
    --disable-dev-shm-usage --window-position=0,0 --window-size="$width,$height" --user-data-dir="$work/profile$i" \
    --autoplay-policy=no-user-gesture-required "file:///bench/page.html?tiles=$tiles" >"chromium$i.log" 2>&1 &
  pids+=($!)
done
sleep 12  # the pages load and settle before recording starts
eval "set -- $pre"; pre_args=("$@")
eval "set -- $post"; post_args=("$@")
ff=()
for i in $(seq 1 "$n"); do
  display=":$((20 + i))"
  ffmpeg "${pre_args[@]}" -video_size "${width}x${height}" -f x11grab -i "$display" -f pulse -i "bench$i.monitor" \
    "${post_args[@]}" -progress "progress$i.txt" -t "$seconds" "out$i.mp4" >"ffmpeg$i.log" 2>&1 &
  ff+=($!)
done
wait "${ff[@]}"
framerate=$(printf '%s\n' "${pre_args[@]}" | grep -A1 -x -- -framerate | tail -1)
for i in $(seq 1 "$n"); do
  last() { grep "^$1=" "progress$i.txt" | tail -1 | cut -d= -f2 | tr -d 'x '; }
  echo "pipeline $i frames $(last frame) expected $((seconds * ${framerate:-30})) speed $(last speed)" \
    "drop $(last drop_frames) dup $(last dup_frames)"
done
kill "${pids[@]}" 2>/dev/null
pulseaudio --kill 2>/dev/null
wait 2>/dev/null
cd / && rm -rf "$work"
