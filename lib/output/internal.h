/* Output: what the writers of tables and exports share. Not API. */
#ifndef SEG_OUTPUT_INTERNAL_H
#define SEG_OUTPUT_INTERNAL_H

#include "dataset/internal.h"


#endif /* SEG_OUTPUT_INTERNAL_H */
