// Metric families built from values read at scrape time. A Collectable that
// asks a component for a snapshot (queue lengths, cache sizes, event counts
// the component keeps anyway) returns these instead of keeping prometheus
// counters in step with the component's own.
#ifndef FARM_METRICS_FAMILIES_H_
#define FARM_METRICS_FAMILIES_H_

#include <string>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"

namespace farm::metrics {

// One unlabelled series.
prometheus::MetricFamily GaugeFamily(std::string name, std::string help,
                                     double value);
prometheus::MetricFamily CounterFamily(std::string name, std::string help,
                                       double value);

// One series per value of `label`, e.g. result="succeeded" and "failed".
// The values must come from a small fixed set.
prometheus::MetricFamily LabelledCounterFamily(
    std::string name, std::string help, const std::string& label,
    const std::vector<std::pair<std::string, double>>& values);

}  // namespace farm::metrics

#endif  // FARM_METRICS_FAMILIES_H_
