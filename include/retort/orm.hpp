// retort's ORM layer: mappings, relationships, Session, Query, Ptr. to_dict lives in the
// opt-in <retort/orm/to_dict.hpp> (nlohmann/json.hpp is heavy to compile).
#pragma once

#include "retort/orm/loading.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"
#include "retort/orm/query.hpp"
#include "retort/orm/relationship.hpp"
#include "retort/orm/session.hpp"
