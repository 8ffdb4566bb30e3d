// grsn_smac.h — (being written in this session)
#ifndef GRSN_SMAC_H
#define GRSN_SMAC_H
#endif
