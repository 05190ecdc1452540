// retort: the whole public API but the opt-in headers (retort/core/datetime.hpp
// for std::chrono columns, retort/core/json.hpp and retort/orm/to_dict.hpp for
// JSON), which are heavy to compile.
#pragma once

#include "retort/core/config.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"
#include "retort/core/types.hpp"
#include "retort/core/url.hpp"
#include "retort/core/value.hpp"
#include "retort/orm.hpp"
