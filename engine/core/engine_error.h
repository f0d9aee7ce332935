#pragma once
#include <q8/error.h>
