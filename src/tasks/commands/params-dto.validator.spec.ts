import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsDefined, IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { paramsDtoProblems } from './params-dto.validator.js';

class Address {
  @IsString()
  @IsNotEmpty()
  city!: string;
}

class Params {
  @IsString()
  @IsNotEmpty()
  @MaxLength(5)
  order_id!: string;

  @IsDefined({ message: 'recipient is needed to send anything' })
  @IsString()
  recipient!: string;

  @IsOptional()
  @IsString()
  note?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => Address)
  address?: Address;
}

class OneRule {
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email!: string;
}

describe('paramsDtoProblems', () => {
  it('tells a missing property once, as required, and leaves optional ones alone', () => {
    expect(paramsDtoProblems(Params, { recipient: 'r' })).toEqual(['params.order_id is required']);
  });

  it("uses a missing property's @IsDefined message when it has one", () => {
    expect(paramsDtoProblems(Params, { order_id: 'o1' })).toEqual(['params.recipient is needed to send anything']);
  });

  it('keeps the message of the one rule a missing property breaks', () => {
    expect(paramsDtoProblems(OneRule, {})).toEqual(['params.email must be an e-mail address']);
  });

  it('tells every rule a present value breaks', () => {
    expect(paramsDtoProblems(Params, { order_id: '', recipient: 'r', note: 7 }).sort()).toEqual([
      'params.note must be a string',
      'params.order_id should not be empty',
    ]);
    expect(paramsDtoProblems(Params, { order_id: 123456, recipient: 'r' }).sort()).toEqual([
      'params.order_id must be a string',
      'params.order_id must be shorter than or equal to 5 characters',
    ]);
  });

  it('names a missing nested property by its path', () => {
    expect(paramsDtoProblems(Params, { order_id: 'o1', recipient: 'r', address: {} })).toEqual(['params.address.city is required']);
  });

  it('finds nothing in valid params', () => {
    expect(paramsDtoProblems(Params, { order_id: 'o1', recipient: 'r', address: { city: 'Pune' } })).toEqual([]);
  });
});
