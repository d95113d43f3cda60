#include "metrics/families.h"

namespace farm::metrics {

namespace {

prometheus::MetricFamily Family(std::string name, std::string help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

}  // namespace

prometheus::MetricFamily GaugeFamily(std::string name, std::string help,
                                     double value) {
  prometheus::MetricFamily family =
      Family(std::move(name), std::move(help), prometheus::MetricType::Gauge);
  family.metric.emplace_back().gauge.value = value;
  return family;
}

prometheus::MetricFamily CounterFamily(std::string name, std::string help,
                                       double value) {
  prometheus::MetricFamily family =
      Family(std::move(name), std::move(help), prometheus::MetricType::Counter);
  family.metric.emplace_back().counter.value = value;
  return family;
}

prometheus::MetricFamily LabelledCounterFamily(
    std::string name, std::string help, const std::string& label,
    const std::vector<std::pair<std::string, double>>& values) {
  prometheus::MetricFamily family =
      Family(std::move(name), std::move(help), prometheus::MetricType::Counter);
  for (const auto& [label_value, value] : values) {
    prometheus::ClientMetric& metric = family.metric.emplace_back();
    metric.label.push_back({label, label_value});
    metric.counter.value = value;
  }
  return family;
}

}  // namespace farm::metrics
