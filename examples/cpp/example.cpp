// The C++ wrapper at work: features, RFM, CLV and tier rules on the CDNOW
// sample, with errors as exceptions.
//
//   example cdnow_sample.txt
#include <cstdio>
#include <iostream>

#include "segment.hpp"

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " TRANSACTIONS.txt\n";
        return 1;
    }
    try {
        seg::Dataset ds;
        ds.set_threads(2);
        seg_csv_options csv;
        seg_csv_options_init(&csv);
        csv.has_header = 0;
        csv.id_column = "1";
        csv.time_column = "3";
        csv.amount_column = "5";
        ds.load_csv(argv[1], &csv);

        seg_features_options fo;
        seg_features_options_init(&fo);
        fo.time_unit = SEG_UNIT_WEEK;
        seg_time_parse(&fo.as_of, "1997-09-30T23:59:59Z", 20, SEG_TIME_ISO8601);
        ds.compute_features(&fo);

        seg::Model rfm("rfm");
        rfm.set("segments", "value").set("language", "zh");
        rfm.fit(ds);
        rfm.score(ds);

        seg::Model clv("clv");
        clv.fit(ds);
        clv.score(ds);
        std::printf("BG/NBD r=%.3f alpha=%.3f a=%.3f b=%.3f\n", clv.result("r"),
                    clv.result("alpha"), clv.result("a"), clv.result("b"));

        seg::Rules rules("tier \"call\" when clv.value >= p90(clv.value) "
                         "priority 1\notherwise \"wait\"",
                         "calls.rules");
        rules.apply(ds, "plan");
        std::cout << rules.explain(ds, 0);
        std::cout << ds.summary("plan", {"clv.value"});

        // errors carry the library's message
        try {
            seg::Rules bad("tier \"x\" when monetry > 1");
            bad.apply(ds);
        } catch (const seg::error &e) {
            std::cout << "error " << e.code() << ": " << e.what() << "\n";
        }
    } catch (const seg::error &e) {
        std::cerr << "segment: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
