#!/bin/sh
# Reference windows for sar-core's windowed GeoTIFF read
# (crates/sar-core/src/geotiff/window_tests.rs, test
# `windows_equal_gdal_translate_srcwin`): GDAL's `gdal_translate -srcwin`
# cuts the same pixel window out of GDAL-written fixtures; the test reads
# each cut-out with sar-core's whole-file reader and compares it with
# `read_window_f64` on the fixture: values bit for bit, geotransform and CRS.
#
# Run from the repository root (GDAL 3.6.2 produced the stored files):
#   sh tools/reference/geotiff_window_gdal.sh
set -eu
src=crates/sar-core/tests/data/geotiff
out=tools/reference/geotiff_window_gdal
mkdir -p "$out"
: > "$out/windows.tsv"
# fixture  col0 row0 cols rows   (gdal's -srcwin order: xoff yoff xsize ysize)
while read -r name c0 r0 w h; do
  dst="$out/${name}_c${c0}_r${r0}_${w}x${h}.tif"
  gdal_translate -q -srcwin "$c0" "$r0" "$w" "$h" -co COMPRESS=NONE "$src/$name.tif" "$dst"
  rm -f "$dst.aux.xml"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r0" "$c0" "$h" "$w" "$(basename "$dst")" >> "$out/windows.tsv"
done <<'LIST'
tiled_lzw_i16 5 9 23 17
strip_deflate_f32_pred3 0 3 11 20
u16_bigendian 7 0 9 6
rotated_f32 2 4 8 9
pixel_is_point_f32 3 1 5 7
geographic_f64 10 2 6 12
nodata_f32 1 1 10 10
LIST
echo "wrote $(wc -l < "$out/windows.tsv") windows to $out"
