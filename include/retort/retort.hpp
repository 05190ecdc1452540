// retort: the whole public API. Layer headers (retort/core/*.hpp) are lighter.
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
