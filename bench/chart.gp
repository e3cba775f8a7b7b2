# Chart of `make bench`: gnuplot -e "dir='build/bench'" bench/chart.gp
# Reads dir/chart-instructions.dat, dir/chart-ns.dat and dir/chart-net.dat
# (bench/report.awk: op, Veneer median min max, Linux median min max; "?" =
# missing) and draws dir/bench.png: three panels of bars, Veneer beside
# Linux per operation, with min..max whiskers, on log scales (the rows span
# orders of magnitude); the third has the network rows' requests/s.
set terminal pngcairo noenhanced size 2000,560 font "sans,10"  # noenhanced: "_" in row names is no subscript
set output dir."/bench.png"
set datafile missing "?"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y
set grid ytics
set key top left
set xtics nomirror rotate by -40
set multiplot layout 1,3 title "Veneer vs Linux under QEMU TCG (median, min..max whiskers)"
set title "guest instructions per operation (-icount shift=0)"
plot dir."/chart-instructions.dat" using 2:3:4:xtic(1) title "Veneer" lc rgb "#2b7bba", \
     "" using 5:6:7 title "Linux" lc rgb "#d95f02"
set title "wall-clock ns per operation (TCG)"
plot dir."/chart-ns.dat" using 2:3:4:xtic(1) title "Veneer" lc rgb "#2b7bba", \
     "" using 5:6:7 title "Linux" lc rgb "#d95f02"
set title "HTTP requests/s from the host (wrk, wall clock; higher is better)"
plot dir."/chart-net.dat" using 2:3:4:xtic(1) title "Veneer" lc rgb "#2b7bba", \
     "" using 5:6:7 title "Linux" lc rgb "#d95f02"
unset multiplot
