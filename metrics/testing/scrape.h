// Test helpers: scrape a Collectable as Prometheus would (the text format
// of prometheus-cpp's TextSerializer, which /metrics serves) and read one
// sample back out of the text.
#ifndef FARM_METRICS_TESTING_SCRAPE_H_
#define FARM_METRICS_TESTING_SCRAPE_H_

#include <map>
#include <optional>
#include <string>

#include "prometheus/collectable.h"

namespace farm::metrics::testing {

// What /metrics would serve if `collectable` were all it reported.
std::string Scrape(const prometheus::Collectable& collectable);

// The value of the sample named `name` whose labels are exactly `labels`,
// in text-format `text`; nullopt when there is none.
std::optional<double> Sample(
    const std::string& text, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

}  // namespace farm::metrics::testing

#endif  // FARM_METRICS_TESTING_SCRAPE_H_
