#!/usr/bin/env bash
# Regenerate the PNG and ICO icons in frontend/src/assets/images/ from
# favicon.svg. Only needed when the icon design changes; the results are
# committed, and build.sh just copies them. Needs Chromium (Debian package
# `chromium`) and python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
images="$here/src/assets/images"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for size in 32 48 180 192 512; do
  cat > "$tmp/icon.html" <<HTML
<!DOCTYPE html><html><head><style>html,body{margin:0;padding:0;overflow:hidden;background:#1d70b8}img{display:block;width:${size}px;height:${size}px}</style></head>
<body><img src="file://$images/favicon.svg" alt=""></body></html>
HTML
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --window-size="${size},${size}" \
    --screenshot="$tmp/icon-$size.png" "file://$tmp/icon.html" >/dev/null 2>&1
done

cp "$tmp/icon-180.png" "$images/icon-180.png"
cp "$tmp/icon-192.png" "$images/icon-192.png"
cp "$tmp/icon-512.png" "$images/icon-512.png"

# favicon.ico holding PNG-compressed 32x32 and 48x48 images
python3 - "$tmp/icon-32.png" "$tmp/icon-48.png" "$images/favicon.ico" <<'PY'
import struct, sys
*pngs, out = sys.argv[1:]
datas = [open(p, "rb").read() for p in pngs]
header = struct.pack("<HHH", 0, 1, len(datas))
offset = 6 + 16 * len(datas)
entries = b""
for data in datas:
    width, height = struct.unpack(">II", data[16:24])
    entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data), offset)
    offset += len(data)
with open(out, "wb") as f:
    f.write(header + entries + b"".join(datas))
PY
echo "Icons written to $images"
