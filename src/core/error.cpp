// The root error type: the message is composed by the raiser, details ride along.
#include "retort/core/error.hpp"

namespace retort {

Error::Error(const std::string& message, ErrorDetails details)
    : std::runtime_error(message), details_(std::move(details)) {}

}  // namespace retort
