#!/usr/bin/env bash
# Inside the benchmark host: N concurrent recording-equivalent pipelines, each Xvfb + PulseAudio null sink +
# Chromium rendering page.html + ffmpeg x11grab with the recorder's recording settings, for SECONDS seconds after a
# warm-up. Prints one line per pipeline: "pipeline <i> frames <n> expected <n> speed <x> drop <n> dup <n>", and
# the CPU seconds each kind of process used while recording: "cpu <command> <seconds>" (chromium, ffmpeg, Xvfb...)
# and the memory it held near the end: "memory <command> <MiB>".
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
# CPU ticks (user + system) per command name of every process; processes that start or end in between count
# partly, which is why the snapshots frame the recording period only.
cpu_ticks() { awk '{sub(/^[0-9]+ [(]/, ""); name = $0; sub(/[)].*/, "", name); sub(/^[^)]*[)] /, "");
  ticks[name] += $12 + $13} END {for (n in ticks) print n, ticks[n]}' /proc/[0-9]*/stat 2>/dev/null; }
eval "set -- $pre"; pre_args=("$@")
eval "set -- $post"; post_args=("$@")
ff=()
for i in $(seq 1 "$n"); do
  display=":$((20 + i))"
  ffmpeg "${pre_args[@]}" -video_size "${width}x${height}" -f x11grab -i "$display" -f pulse -i "bench$i.monitor" \
    "${post_args[@]}" -progress "progress$i.txt" -t "$seconds" "out$i.mp4" >"ffmpeg$i.log" 2>&1 &
  ff+=($!)
done
# x11grab paces ffmpeg at real time, so every ffmpeg is still running when the second snapshot is taken.
sleep 2
cpu_ticks >cpu.before
window_start=$(date +%s.%N)
sleep $((seconds - 4))
cpu_ticks >cpu.after
# Memory per command name: proportional set size (shared pages split between their users) in KiB.
for proc in /proc/[0-9]*; do
  echo "$(cat "$proc/comm" 2>/dev/null) $(awk '/^Pss:/ {print $2}' "$proc/smaps_rollup" 2>/dev/null)"
done | awk 'NF == 2 {pss[$1] += $2} END {for (n in pss) print n, pss[n]}' >pss.after
window=$(awk -v start="$window_start" -v end="$(date +%s.%N)" 'BEGIN {print end - start}')
wait "${ff[@]}"
framerate=$(printf '%s\n' "${pre_args[@]}" | grep -A1 -x -- -framerate | tail -1)
for i in $(seq 1 "$n"); do
  last() { grep "^$1=" "progress$i.txt" | tail -1 | cut -d= -f2 | tr -d 'x '; }
  echo "pipeline $i frames $(last frame) expected $((seconds * ${framerate:-30})) speed $(last speed)" \
    "drop $(last drop_frames) dup $(last dup_frames)"
done
hz=$(getconf CLK_TCK)
printf 'window %.2f\n' "$window"
awk -v hz="$hz" 'NR == FNR {before[$1] = $2; next} {used = ($2 - before[$1]) / hz; if (used > 0)
  printf "cpu %s %.2f\n", $1, used}' cpu.before cpu.after
awk '$2 >= 1024 {printf "memory %s %.0f\n", $1, $2 / 1024}' pss.after
kill "${pids[@]}" 2>/dev/null
pulseaudio --kill 2>/dev/null
wait 2>/dev/null
cd / && rm -rf "$work"
