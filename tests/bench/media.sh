# shellcheck shell=bash
# bench_media_file NAME CODEC WxH FPS KBITS SECONDS: prints the path of a cached cam-sim file
# source in $BENCH_MEDIA (default $BUILD/bench-media), making it first when missing.  The video
# is ffmpeg's testsrc2 with temporal noise (so the encoder spends its bit rate as on a real
# scene), the frame marker 0, 1, 2 … drawn by mark_i420, then libx264/libx265 at a constant
# bit rate, a keyframe every 2 s and no B-frames, like a camera.  Sourced by tests/bench/*.sh.
BENCH_MEDIA=${BENCH_MEDIA:-$BUILD/bench-media}
bench_media_file() {
	local name=$1 codec=$2 size=$3 fps=$4 kbits=$5 secs=$6 out enc tmp
	out="$BENCH_MEDIA/$name-$size-$fps-${kbits}k-${secs}s.$codec"
	if [ -s "$out" ]; then echo "$out"; return 0; fi
	mkdir -p "$BENCH_MEDIA" || return 1
	case $codec in
	h264) enc=(-c:v libx264 -preset veryfast -profile:v high -x264-params "bframes=0:keyint=$((2 * fps)):min-keyint=$((2 * fps)):scenecut=0") ;;
	h265) enc=(-c:v libx265 -preset ultrafast -x265-params "bframes=0:keyint=$((2 * fps)):min-keyint=$((2 * fps)):scenecut=0:log-level=error") ;;
	*) echo "bench_media_file: unknown codec $codec" >&2; return 1 ;;
	esac
	tmp="$out.tmp.$$"
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=size=$size:rate=$fps:duration=$secs,noise=alls=12:allf=t+u" \
		-pix_fmt yuv420p -f rawvideo - |
		"$BUILD/bench/mark_i420" "$size" 2>/dev/null |
		ffmpeg -nostdin -loglevel error -f rawvideo -pix_fmt yuv420p -s "$size" -r "$fps" -i - \
			"${enc[@]}" -b:v "${kbits}k" -maxrate "${kbits}k" -bufsize "${kbits}k" -threads 2 \
			-f "${codec/h265/hevc}" -y "$tmp" && [ -s "$tmp" ] && mv "$tmp" "$out" || { rm -f "$tmp"; return 1; }
	echo "$out"
}
