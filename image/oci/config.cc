#include "image/oci/config.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::image::oci {
namespace {

void ReadHealthcheck(FieldReader& r, Healthcheck* h) {
  r.StringList("Test", &h->test);
  r.Int("Interval", &h->interval_ns);
  r.Int("Timeout", &h->timeout_ns);
  r.Int("StartPeriod", &h->start_period_ns);
  r.Int("StartInterval", &h->start_interval_ns);
  r.Int("Retries", &h->retries);
}

Json HealthcheckToJson(const Healthcheck& h) {
  Json j = Json::object();
  PutStringList(j, "Test", h.test);
  PutInt(j, "Interval", h.interval_ns);
  PutInt(j, "Timeout", h.timeout_ns);
  PutInt(j, "StartPeriod", h.start_period_ns);
  PutInt(j, "StartInterval", h.start_interval_ns);
  PutInt(j, "Retries", h.retries);
  return j;
}

void ReadContainerConfig(FieldReader& r, ContainerConfig* c) {
  r.String("User", &c->user);
  r.StringSet("ExposedPorts", &c->exposed_ports);
  r.StringList("Env", &c->env);
  r.StringList("Entrypoint", &c->entrypoint);
  r.StringList("Cmd", &c->cmd);
  r.StringSet("Volumes", &c->volumes);
  r.String("WorkingDir", &c->working_dir);
  r.StringMap("Labels", &c->labels);
  r.String("StopSignal", &c->stop_signal);
  r.Bool("ArgsEscaped", &c->args_escaped);
  r.Object("Healthcheck", [&](FieldReader& h) {
    c->healthcheck.emplace();
    ReadHealthcheck(h, &*c->healthcheck);
  });
  r.StringList("OnBuild", &c->on_build);
  r.StringList("Shell", &c->shell);
  c->extra = r.Unread();
}

Json ContainerConfigToJson(const ContainerConfig& c) {
  Json j = Json::object();
  PutString(j, "User", c.user);
  PutStringSet(j, "ExposedPorts", c.exposed_ports);
  PutStringList(j, "Env", c.env);
  PutStringList(j, "Entrypoint", c.entrypoint);
  PutStringList(j, "Cmd", c.cmd);
  PutStringSet(j, "Volumes", c.volumes);
  PutString(j, "WorkingDir", c.working_dir);
  PutStringMap(j, "Labels", c.labels);
  PutString(j, "StopSignal", c.stop_signal);
  PutBool(j, "ArgsEscaped", c.args_escaped);
  if (c.healthcheck.has_value()) {
    j["Healthcheck"] = HealthcheckToJson(*c.healthcheck);
  }
  PutStringList(j, "OnBuild", c.on_build);
  PutStringList(j, "Shell", c.shell);
  MergeExtra(j, c.extra);
  return j;
}

void ReadHistory(FieldReader& r, History* h) {
  r.Time("created", &h->created);
  r.String("created_by", &h->created_by);
  r.String("author", &h->author);
  r.String("comment", &h->comment);
  r.Bool("empty_layer", &h->empty_layer);
}

Json HistoryToJson(const History& h) {
  Json j = Json::object();
  PutTime(j, "created", h.created);
  PutString(j, "created_by", h.created_by);
  PutString(j, "author", h.author);
  PutString(j, "comment", h.comment);
  PutBool(j, "empty_layer", h.empty_layer);
  return j;
}

}  // namespace

absl::StatusOr<ImageConfig> ImageConfig::Parse(absl::string_view json) {
  ASSIGN_OR_RETURN(Json j, ParseJsonObject(json, "image config"));
  ImageConfig c;
  FieldReader r(j, "image config");
  r.Time("created", &c.created);
  r.String("author", &c.author);
  r.String("architecture", &c.architecture, /*required=*/true);
  r.String("os", &c.os, /*required=*/true);
  r.String("os.version", &c.os_version);
  r.StringList("os.features", &c.os_features);
  r.String("variant", &c.variant);
  r.Object("config",
           [&](FieldReader& cc) { ReadContainerConfig(cc, &c.config); });
  r.Object(
      "rootfs",
      [&](FieldReader& fs) {
        fs.String("type", &c.rootfs_type, /*required=*/true);
        if (fs.status().ok() && c.rootfs_type != "layers") {
          fs.Fail("type",
                  absl::StrCat("want \"layers\", got \"", c.rootfs_type, "\""));
        }
        std::vector<std::string> ids;
        fs.StringList("diff_ids", &ids);
        for (size_t i = 0; i < ids.size() && fs.status().ok(); ++i) {
          absl::StatusOr<Digest> d = Digest::Parse(ids[i]);
          if (!d.ok()) {
            fs.Fail(absl::StrCat("diff_ids[", i, "]"), d.status().message());
          } else {
            c.diff_ids.push_back(*d);
          }
        }
      },
      /*required=*/true);
  r.ObjectList("history", [&](FieldReader& h) {
    c.history.emplace_back();
    ReadHistory(h, &c.history.back());
  });
  c.extra = r.Unread();
  RETURN_IF_ERROR(r.status());
  return c;
}

std::string ImageConfig::ToJson() const {
  Json j = Json::object();
  PutTime(j, "created", created);
  PutString(j, "author", author);
  j["architecture"] = architecture;
  j["os"] = os;
  PutString(j, "os.version", os_version);
  PutStringList(j, "os.features", os_features);
  PutString(j, "variant", variant);
  j["config"] = ContainerConfigToJson(config);
  Json ids = Json::array();
  for (const Digest& d : diff_ids) ids.push_back(d.ToString());
  j["rootfs"] = {{"type", rootfs_type}, {"diff_ids", std::move(ids)}};
  if (!history.empty()) {
    Json h = Json::array();
    for (const History& e : history) h.push_back(HistoryToJson(e));
    j["history"] = std::move(h);
  }
  MergeExtra(j, extra);
  return CanonicalJson(j);
}

absl::StatusOr<std::string> WithLabels(
    absl::string_view config_json,
    const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return std::string(config_json);
  ASSIGN_OR_RETURN(ImageConfig config, ImageConfig::Parse(config_json));
  for (const auto& [key, value] : labels) config.config.labels[key] = value;
  return config.ToJson();
}

}  // namespace farm::image::oci
