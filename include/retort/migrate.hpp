// retort's migrate layer: operations, revision files and their graph, the
// runner and autogenerate. Depends on the core layer only: autogenerate
// compares any MetaData (the ORM's mapped_metadata(), say) with a database.
#pragma once

#include "retort/migrate/operations.hpp"
#include "retort/migrate/revision.hpp"
#include "retort/migrate/runner.hpp"
