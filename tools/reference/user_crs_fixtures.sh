#!/bin/sh
# Fixtures for sar-core's user-defined CRS GeoKeys (issue 11, item 12):
# small GeoTIFFs whose CRS GDAL writes as user-defined projection GeoKeys
# (ProjectedCSTypeGeoKey = 32767 + ProjCoordTransGeoKey + parameters), and
# the PROJ.4 string GDAL reads back from each (the reference the tests use).
# The Columbia crop comes from the OGGM sample data (BSD-3, OGGM developers):
# dem_Columbia.tif, a local Transverse Mercator DEM.
# Run from the repository root: sh tools/reference/user_crs_fixtures.sh
set -e
D=crates/sar-core/tests/data/geotiff
SRC=../shared/data/real/oggm-sample-glaciers/columbia/dem_Columbia.tif
gdal_translate -q -srcwin 300 300 12 10 -co COMPRESS=DEFLATE "$SRC" $D/columbia_user_tm_crop.tif
mk() { # name srs
  gdal_translate -q -a_srs "$2" -co COMPRESS=DEFLATE $D/columbia_user_tm_crop.tif $D/$1.tif
}
mk user_lcc2sp "+proj=lcc +lat_1=60 +lat_2=70 +lat_0=65 +lon_0=-150 +x_0=100000 +y_0=200000 +datum=WGS84 +units=m +no_defs"
mk user_aea "+proj=aea +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
mk user_stere_north "+proj=stere +lat_0=90 +lat_ts=71 +lon_0=-39 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
mk user_tm_ft "+proj=tmerc +lat_0=10 +lon_0=20 +k=0.9999 +x_0=500000 +y_0=0 +ellps=intl +units=us-ft +no_defs"
for f in columbia_user_tm_crop user_lcc2sp user_aea user_stere_north user_tm_ft; do
  printf '%s\t%s\n' "$f" "$(gdalinfo -proj4 $D/$f.tif | grep -A1 'PROJ.4 string is' | tail -1 | tr -d "'")"
done > $D/user_crs_proj4.tsv
cat $D/user_crs_proj4.tsv
