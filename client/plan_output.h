// Renders a StageGraph for `farm plan`: the JSON contract
// ({"stages": [{name, index, base, depends_on, instructions}]}) and a text
// form for people.
#ifndef FARM_CLIENT_PLAN_OUTPUT_H_
#define FARM_CLIENT_PLAN_OUTPUT_H_

#include <string>

#include "proto/plan.pb.h"

namespace farm::client {

// Pretty-printed JSON followed by a newline.
std::string PlanToJson(const proto::StageGraph& graph);
std::string PlanToText(const proto::StageGraph& graph);

}  // namespace farm::client

#endif  // FARM_CLIENT_PLAN_OUTPUT_H_
