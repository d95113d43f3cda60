// Converts a typed instruction to and from proto::TypedInstruction, the form
// in which the scheduler sends a stage's expanded instructions to a worker so
// that the worker needs no parser or planner. Lossless: FromProto(ToProto(x))
// equals x field by field, ONBUILD triggers and their errors included.
#ifndef FARM_DOCKERFILE_INSTRUCTION_PROTO_H_
#define FARM_DOCKERFILE_INSTRUCTION_PROTO_H_

#include "absl/status/statusor.h"
#include "dockerfile/instructions.h"
#include "proto/instruction.pb.h"

namespace farm::dockerfile {

proto::TypedInstruction ToProto(const Instruction& instruction);

// kInvalidArgument, naming the field, for a message no ToProto could have
// made: no value set (at the top or in an ONBUILD trigger), or an ONBUILD
// trigger_error whose code is OK or not an absl::StatusCode.
absl::StatusOr<Instruction> FromProto(const proto::TypedInstruction& message);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_INSTRUCTION_PROTO_H_
